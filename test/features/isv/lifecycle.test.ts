import t from 'tap'
import { orgUnionId } from '../../../src/emulator/messages.js'
import { SHARED_ROOM_CODE } from '../../../src/emulator/orgs.js'
import { signedHeaders, waitFor } from '../../helpers/index.js'
import { cardEnv } from '../livecard/helpers.js'
import { ALPHA, BETA, isvStack } from './helpers.js'

t.test(
  'live cards per org: userIdType 2, the asker by unionId, each card follows its own org’s meeting',
  async (t) => {
    const s = await isvStack(t, { env: cardEnv() })
    for (const corpId of [ALPHA, BETA]) {
      const res = await s.post(s.message(corpId, `meeting ${SHARED_ROOM_CODE}`), signedHeaders())
      t.equal(((await res.json()) as { msgtype?: string }).msgtype, 'empty', `${corpId}: a card, no markdown`)
    }
    await waitFor(() => s.emu.cards.list().length === 2, 5000, 'two cards')
    const alpha = s.emu.cards.list().find((c) => c.corpId === ALPHA)
    const beta = s.emu.cards.list().find((c) => c.corpId === BETA)
    if (!alpha || !beta) return t.fail('a card per org')
    t.match(alpha.data.title, /Alpha weekly sync/)
    t.match(beta.data.title, /Beta customer call/)
    t.same(
      Object.keys(alpha.atUserIds ?? {}),
      [orgUnionId(ALPHA, 'user0001')],
      'the asker @-mentioned by unionId',
    )
    const alphaNow = Number(alpha.data.activeNum)
    const betaNow = Number(beta.data.activeNum)
    s.emu.isv.timeline(ALPHA).join(SHARED_ROOM_CODE, 'Bob')
    await s.emu.cards.waitFor(
      () => alpha.data.activeNum === String(alphaNow + 1),
      8000,
      'Alpha’s card sees the join',
    )
    await new Promise((r) => setTimeout(r, 1500))
    t.equal(beta.data.activeNum, String(betaNow), 'Beta’s card of the same room code does not')
  },
)

t.test('watches per org: a notice goes to the watching org only', async (t) => {
  const s = await isvStack(t, { env: { BOT_WATCH_POLL_MS: '1000' } })
  t.match((await s.ask(ALPHA, 'watch 211300402')).text, /roadmap/i)
  t.match((await s.ask(BETA, 'watches')).text, /no|没有/i, 'Beta has no watch')
  s.emu.isv.timeline(ALPHA).start('211300402')
  await waitFor(
    () => s.emu.replies.some((r) => r.corpId === ALPHA && JSON.stringify(r.body).includes('started')),
    8000,
    'the started notice in Alpha',
  )
  t.notOk(
    s.emu.replies.some((r) => r.corpId === BETA && JSON.stringify(r.body).includes('started')),
    'nothing in Beta',
  )
})
