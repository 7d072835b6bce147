import t from 'tap'
import { waitFor } from '../../helpers/index.js'
import { askHttp, cardStack, cardsIn } from './helpers.js'

t.test(
  'a card stops being live after BOT_CARD_LIVE_HOURS and says so; Refresh makes it live again',
  async (t) => {
    let offset = 0
    const s = await cardStack(t, { env: { BOT_CARD_LIVE_HOURS: '1' }, clock: () => Date.now() + offset })
    await askHttp(s, s.chat, 'meeting 615902734')
    const [card] = cardsIn(s.emu, s.chat)
    if (!card) return t.fail('no card')
    offset = 61 * 60_000
    await s.emu.cards.waitFor(() => card.data.live === 'false', 8000, 'the card past its bound')
    t.match(card.data.note, 'No longer updated (after 1 h): press Refresh')
    t.equal(card.data.status, 'in_progress', 'the meeting still runs: only the card stopped')
    await waitFor(() => s.capture.find('live card frozen').length === 1, 3000, 'the freeze logged')
    t.equal(s.capture.find('live card frozen')[0]?.reason, 'expired')
    // The bot's clock back to the emulator's: the click's signature is checked against it.
    offset = 0

    await s.emu.cards.press(card.outTrackId, 'refresh')
    t.equal(card.data.live, 'true', 'live again after Refresh')
    t.match(card.data.note, /^Live · updated/)
    const before = card.updates.filter((u) => u.by === 'api').length
    s.emu.timeline.join('615902734', 'After the refresh')
    await s.emu.cards.waitFor(
      () => card.updates.filter((u) => u.by === 'api').length > before,
      8000,
      'an update after the refresh',
    )
    t.pass('and updated again')
  },
)

t.test('the quota share: once spent, live cards freeze saying so and new answers are markdown', async (t) => {
  // 10 calls a month, 30% for cards: 3 calls (the create and two updates), then the freeze.
  const s = await cardStack(t, { env: { BOT_MONTHLY_API_QUOTA: '10', BOT_CARD_QUOTA_SHARE: '0.3' } })
  await askHttp(s, s.chat, 'meeting 615902734')
  const [card] = cardsIn(s.emu, s.chat)
  if (!card) return t.fail('no card')
  // Joins until the share is spent: on a busy machine several joins may make one update, so the
  // number of joins it takes is not fixed; what is fixed is the freeze and the bound below.
  for (let i = 1; i <= 15 && card.data.live !== 'false'; i++) {
    s.emu.timeline.join('615902734', `A${i}`)
    await new Promise((r) => setTimeout(r, 1200))
  }
  await s.emu.cards.waitFor(() => card.data.live === 'false', 8000, 'the freeze')
  t.match(card.data.note, /API quota share spent/)
  t.ok(
    s.emu.count('card.update') <= 3,
    `at most the share and the freeze (${s.emu.count('card.update')} updates)`,
  )
  const body = await askHttp(s, s.chat, 'meeting 615902734')
  t.not(body.msgtype, 'empty', 'a new answer is the markdown card')
  t.equal(cardsIn(s.emu, s.chat).length, 1, 'no second card')
})
