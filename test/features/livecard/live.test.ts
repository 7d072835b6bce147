import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { askHttp, cardStack, cardsIn, TEMPLATE } from './helpers.js'

t.test(
  'a meeting answer is a live card: created, updated as the timeline moves, frozen at the end',
  async (t) => {
    const s = await cardStack(t)
    const body = await askHttp(s, s.chat, 'meeting 615902734')
    t.same(body, { msgtype: 'empty' }, 'no markdown in the HTTP response: the card went out by the card API')
    const [card] = cardsIn(s.emu, s.chat)
    t.ok(card, 'a card instance exists in the group')
    if (!card) return
    t.equal(card.templateId, TEMPLATE)
    t.equal(card.space.type, 'IM_GROUP')
    t.equal(card.callbackType, 'HTTP', 'an HTTP-only bot asks for HTTP callbacks')
    t.equal(card.data.status, 'in_progress')
    t.match(card.data.title, /.+/)
    t.equal(card.data.showJoin, 'true')
    t.equal(card.data.live, 'true')
    const active = Number(card.data.activeNum)
    const line = s.capture.find('message handled').at(-1)
    t.equal(line?.path, 'card', 'the log line says the answer went as a card')
    t.equal(line?.outcome, 'answered')

    s.emu.timeline.join('615902734', 'Newcomer')
    await s.emu.cards.waitFor(() => card.data.activeNum === String(active + 1), 8000, 'the join on the card')
    t.pass('the join shows on the card')
    s.emu.timeline.join('615902734', 'Second')
    s.emu.timeline.join('615902734', 'Third')
    await s.emu.cards.waitFor(() => card.data.activeNum === String(active + 3), 8000, 'both joins')
    const api = card.updates.filter((u) => u.by === 'api')
    t.ok(
      api.every((u) => u.byKey),
      'every update is by key',
    )
    for (let i = 1; i < api.length; i++) {
      const gap = (api[i]?.at ?? 0) - (api[i - 1]?.at ?? 0)
      t.ok(gap >= 950, `updates ${i - 1} and ${i} are ${gap} ms apart, not closer than BOT_CARD_UPDATE_MS`)
    }

    s.emu.timeline.end('615902734')
    await s.emu.cards.waitFor(() => card.data.live === 'false', 10_000, 'the frozen summary')
    t.equal(card.data.status, 'ended')
    t.equal(card.data.showJoin, 'false')
    t.match(card.data.note, /^Final summary/)
    t.match(card.data.body, /Duration/)
    const frozenAt = card.updates.length
    await sleep(2500)
    t.equal(card.updates.length, frozenAt, 'a frozen card is not updated again')
  },
)

t.test('a card that is not delivered falls back to the markdown card, and says why in the log', async (t) => {
  const s = await cardStack(t)
  for (const [how, setup] of [
    ['success: false', () => s.emu.cards.nextDeliver('success-false')],
    ['a failed deliverResult', () => s.emu.cards.nextDeliver('partial')],
    ['403 QpsLimit', () => s.emu.fail('card.deliver', { status: 403, code: 'QpsLimit', times: 10 })],
    ['a param error', () => s.emu.fail('card.deliver', { status: 400, code: 'param.invalid', times: 1 })],
  ] as const) {
    setup()
    const body = await askHttp(s, s.chat, 'meeting 615902734')
    t.not(body.msgtype, 'empty', `${how}: an inline reply`)
    t.match(JSON.stringify(body), /615 902 734/, `${how}: the markdown card`)
    s.emu.clearFaults?.()
  }
  const why = s.capture.find('interactive card not delivered; answering with the markdown card')
  t.equal(why.length, 4, 'each fall-back logged')
  t.match(why[0]?.err, /success is not true/)
  t.match(why[1]?.err, /robot not in group/)
  t.equal(
    cardsIn(s.emu, s.chat).filter((c) => c.data.live === 'true').length,
    0,
    'no live card is left behind',
  )
  t.notOk(s.capture.raw.includes('session='), 'no session webhook in the logs')
})

t.test('buttons over HTTP: members, watch, unwatch, refresh; a forged click is 401', async (t) => {
  const s = await cardStack(t)
  await askHttp(s, s.chat, 'meeting 615902734')
  const [card] = cardsIn(s.emu, s.chat)
  if (!card) return t.fail('no card')
  const members = await s.emu.cards.press(card.outTrackId, 'members')
  t.equal(members.via, 'http')
  t.ok(members.ms < 2000, `answered in ${members.ms} ms`)
  t.match(card.data.members, /^\*\*Members \(\d+\)\*\*/, 'the members list is on the card')

  await s.emu.cards.press(card.outTrackId, 'watch')
  t.equal(card.data.watching, 'true')
  t.equal(card.data.watchAction, 'unwatch')
  const list = await askHttp(s, s.chat, 'watches')
  t.match(JSON.stringify(list), /615 902 734/, 'the chat now watches the meeting')
  await s.emu.cards.press(card.outTrackId, 'unwatch')
  t.equal(card.data.watching, 'false')
  t.notMatch(JSON.stringify(await askHttp(s, s.chat, 'watches')), /615 902 734/, 'and no longer')

  const refresh = await s.emu.cards.press(card.outTrackId, 'refresh')
  t.ok(refresh.ms < 2000)
  t.match(card.data.note, /^Live · updated/)

  const audit = s.capture.find('card action handled')
  t.same(
    audit.map((l) => l.action),
    ['members', 'watch', 'unwatch', 'refresh'],
    'one audit line per click',
  )
  t.ok(audit.every((l) => l.audit === true && l.userId))

  const forged = await fetch(`${s.url}/dingtalk/card-callback`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-ddpaas-signature-timestamp': String(Date.now()),
      'x-ddpaas-signature': 'Zm9yZ2Vk',
    },
    body: JSON.stringify({ type: 'actionCallback', outTrackId: card.outTrackId, userId: 'x', content: '{}' }),
  })
  t.equal(forged.status, 401)
  t.equal(s.capture.find('card action handled').length, 4, 'nothing ran for the forged click')
})

t.test('/status shows the live cards and their calls this month, to admins', async (t) => {
  const s = await cardStack(t)
  await askHttp(s, s.chat, 'meeting 615902734')
  const res = await s.post(s.chat.message('/status', { senderStaffId: 'manager4821', isAdmin: true }))
  const body = JSON.stringify(await res.json())
  t.match(body, /Live cards:\*\* 1 live, 0 frozen; 1 of 1500 card calls this month/)
})
