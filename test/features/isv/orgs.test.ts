import t from 'tap'
import { SHARED_ROOM_CODE } from '../../../src/emulator/orgs.js'
import { waitFor } from '../../helpers/index.js'
import { ALPHA, BETA, isvStack } from './helpers.js'

t.test('two orgs, both transports: each answered from its own data with its own token', async (t) => {
  const s = await isvStack(t)
  const alpha = await s.ask(ALPHA, `meeting ${SHARED_ROOM_CODE}`)
  t.match(alpha.text, /Alpha weekly sync/, 'org A: its meeting')
  // The same room code, asked right after: a cache keyed by room code alone would answer Alpha's.
  const beta = await s.ask(BETA, `meeting ${SHARED_ROOM_CODE}`)
  t.match(beta.text, /Beta customer call/, 'org B: its own meeting, not A’s cached one')
  t.notMatch(beta.text, /Alpha/)
  const betaStream = await s.askStream(BETA, 'meeting 322400501')
  t.match(betaStream.text, /Beta sales kickoff/, 'over Stream too')
  const alphaAgain = await s.askStream(ALPHA, `meeting ${SHARED_ROOM_CODE}`)
  t.match(alphaAgain.text, /Alpha weekly sync/)
  t.equal(s.emu.isv.callsOf(ALPHA, 'corp.token'), 1, 'one token fetch for org A')
  t.equal(s.emu.isv.callsOf(BETA, 'corp.token'), 1, 'one for org B')
  t.equal(s.emu.isv.callsOf(ALPHA, 'conference.byRoomCode'), 1, 'A’s second ask came from A’s cache')
  t.equal(s.emu.isv.callsOf(BETA, 'conference.byRoomCode'), 2, 'B looked up its two room codes')
  t.equal(s.emu.count('token'), 0, 'the app token is never asked for')
  // Another org's meeting is not found, as DingTalk answers an unknown room code.
  const cross = await s.ask(ALPHA, 'meeting 322400501')
  t.match(cross.text, /No meeting found|没有找到/, 'org A cannot see org B’s meeting')
})

t.test(
  'no ticket yet: an honest answer, readiness 503, nothing fetched; then the ticket arrives',
  async (t) => {
    const s = await isvStack(t, { noTicket: true })
    const ready = await s.readyz()
    t.equal(ready.status, 503)
    t.equal(ready.body.checks['suite-ticket']?.ok, false)
    t.match(String(ready.body.checks['suite-ticket']?.detail), /suite ticket/)
    const said = await s.ask(ALPHA, 'meeting 211300401')
    t.match(said.text, /suite ticket/, 'says why')
    t.match(said.text, /reference|参考|ref/i, 'with a reference id')
    t.equal(s.emu.isv.callsOf(ALPHA, 'corp.token'), 0, 'no token asked for without a ticket')
    t.equal(s.emu.isv.callsOf(ALPHA, 'conference.byRoomCode'), 0)
    s.emu.isv.pushTicket()
    await waitFor(() => s.capture.find('suite ticket saved').length === 1, 5000, 'the ticket saved')
    for (let i = 0; i < 50 && (await s.readyz()).status !== 200; i++)
      await new Promise((r) => setTimeout(r, 100))
    const after = await s.readyz()
    t.equal(after.status, 200, 'ready once the ticket is held')
    t.match((await s.ask(ALPHA, 'meeting 211300401')).text, /Alpha all-hands/)
  },
)

t.test('an org that has not authorized the app: a clear answer, and no meeting is fetched', async (t) => {
  const s = await isvStack(t)
  const said = await s.ask('dingcorpStranger', 'meeting 211300401')
  t.match(said.text, /not authorized/)
  const again = await s.ask('dingcorpStranger', 'meeting 211300401')
  t.match(again.text, /not authorized/)
  t.equal(s.emu.isv.callsOf('dingcorpStranger', 'corp.token'), 1, 'asked DingTalk once, then remembered')
  t.equal(s.emu.count('conference.byRoomCode'), 0, 'no meeting call at all')
})

t.test('org_suite_relieve removes an org; org_suite_auth brings one in', async (t) => {
  const s = await isvStack(t)
  t.match((await s.ask(BETA, 'meeting 322400501')).text, /Beta sales kickoff/)
  s.emu.isv.relieve(BETA)
  await waitFor(() => s.capture.find('org removed the app: nothing more is done for it').length === 1, 5000)
  const tokens = s.emu.isv.callsOf(BETA, 'corp.token')
  const said = await s.ask(BETA, 'meeting 322400501')
  t.match(said.text, /removed this app/)
  t.equal(s.emu.isv.callsOf(BETA, 'corp.token'), tokens, 'nothing fetched for a removed org')
  t.equal(s.emu.isv.callsOf(BETA, 'conference.byRoomCode'), 1)
  t.match((await s.ask(ALPHA, 'meeting 211300401')).text, /Alpha all-hands/, 'the other org is unaffected')
  s.emu.isv.authorize(BETA)
  await waitFor(() => s.capture.find('org authorized the app').length === 1, 5000)
  t.match((await s.ask(BETA, 'meeting 322400502')).text, /Beta design crit/, 'served again')
})

t.test('/status: per-org figures, to that org’s admins only', async (t) => {
  const s = await isvStack(t, { env: { BOT_ADMINS: `${BETA}/user0001,alpha0001` } })
  await s.ask(ALPHA, 'meeting 211300401')
  await s.ask(BETA, 'meeting 322400501')
  await s.ask(BETA, 'meeting 322400502')
  const alpha = await s.ask(ALPHA, '/status', 'admin')
  const beta = await s.ask(BETA, '/status', 'admin')
  t.match(alpha.text, /conference\.byRoomCode[^\n]*\b1\b/, 'org A counts its own call')
  t.match(beta.text, /conference\.byRoomCode[^\n]*\b2\b/, 'org B its own two')
  t.notMatch(alpha.text, /conference\.byRoomCode[^\n]*\b3\b/, 'never the app’s total')
  t.match(alpha.text, /\b1 handled, 0 failed/, 'and its own messages: A asked once...')
  t.match(beta.text, /\b2 handled, 0 failed/, '...B twice')
  const user = await s.ask(ALPHA, '/status')
  t.notMatch(user.text, /conference\.byRoomCode/, 'a member of A is no admin')
  t.match(
    (await s.ask(BETA, '/status', 'user')).text,
    /conference\.byRoomCode/,
    'BOT_ADMINS names corpId/staffId',
  )
  // A bare staff id in BOT_ADMINS makes nobody an admin: staff ids repeat across orgs.
  t.notMatch((await s.ask(BETA, '/status', 'alpha0001')).text, /conference\.byRoomCode/)
})

t.test('per-org quota: one org’s exhausted quota stops only that org', async (t) => {
  const s = await isvStack(t)
  s.emu.fail('conference.byRoomCode', { status: 403, code: 'Forbidden.AccessDenied.ApiCountLimit', times: 1 })
  t.match((await s.ask(ALPHA, 'meeting 211300401')).text, /quota/, 'org A is told')
  t.match((await s.ask(BETA, 'meeting 322400501')).text, /Beta sales kickoff/, 'org B is answered')
  const before = s.emu.isv.callsOf(ALPHA, 'conference.byRoomCode')
  t.match((await s.ask(ALPHA, 'meeting 211300402')).text, /quota/, 'A stays stopped for the cooldown')
  t.equal(s.emu.isv.callsOf(ALPHA, 'conference.byRoomCode'), before, 'without calling DingTalk')
})

t.test('ticket rotation and a rejected org token', async (t) => {
  const s = await isvStack(t)
  t.match((await s.ask(ALPHA, 'meeting 211300401')).text, /Alpha all-hands/)
  const next = s.emu.isv.rotateTicket()
  await waitFor(() => s.capture.find('suite ticket saved').length === 2, 5000, 'the new ticket saved')
  s.emu.isv.revokeTokens(ALPHA)
  t.match((await s.ask(ALPHA, 'meeting 211300402')).text, /Alpha roadmap review/, 'answered with a new token')
  t.equal(s.emu.isv.callsOf(ALPHA, 'corp.token'), 2, 'fetched again once rejected')
  t.equal(s.emu.isv.ticketsSeen.at(-1), next.ticket, 'with the rotated ticket')
  const raw = s.capture.raw
  for (const ticket of s.emu.isv.ticketsSeen) t.notOk(raw.includes(ticket), 'no ticket in the log')
  for (const token of s.emu.isv.issued.get(ALPHA) ?? [])
    t.notOk(raw.includes(token), 'no org token in the log')
})
