import t from 'tap'
import { robotMessage, startStreamStack, waitFor } from '../../helpers/index.js'
import { cardEnv } from './helpers.js'

t.test(
  'over Stream: the card asks for STREAM callbacks, a click is answered in the ack within 2 s, once',
  async (t) => {
    const s = await startStreamStack(t, { env: cardEnv() })
    const conversationId = `cidLive${Date.now()}==`
    s.gw.push(
      robotMessage({ text: 'meeting 615902734', conversationId, sessionWebhook: s.emu.newSessionWebhook() }),
    )
    const card = await s.emu.cards.waitFor(
      () => s.emu.cards.list().find((c) => c.space.id === conversationId),
      5000,
      'the card',
    )
    t.equal(card.callbackType, 'STREAM')
    t.match(s.gw.lastSubscriptions, [
      { type: 'CALLBACK' },
      { type: 'CALLBACK', topic: '/v1.0/card/instances/callback' },
    ])

    const press = await s.emu.cards.press(card.outTrackId, 'members', { userId: 'manager4821' })
    t.equal(press.via, 'stream')
    t.ok(press.ms < 2000, `acked in ${press.ms} ms`)
    const answered = (press.response as { cardData?: { cardParamMap?: Record<string, string> } }).cardData
    t.match(answered?.cardParamMap?.members, /lists nobody|Members/, 'the ack carried the members list')
    t.equal(card.data.members, answered?.cardParamMap?.members, 'applied to the card')

    // DingTalk pushes a click again when the ack is late: the same click, run once.
    const again = await s.emu.cards.press(card.outTrackId, 'members', { userId: 'manager4821' })
    t.same(again.response, {}, 'the copy is answered empty, leaving the card as the first left it')
    await waitFor(() => s.capture.find('card action handled').length === 2, 3000, 'two audit lines')
    t.same(
      s.capture.find('card action handled').map((l) => l.outcome),
      ['handled', 'duplicate'],
    )
  },
)
