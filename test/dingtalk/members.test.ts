import { createServer } from 'node:http'
import t, { type Test } from 'tap'
import { DingTalkApi } from '../../src/dingtalk/api.js'
import { ConferenceClient, MAX_MEMBER_PAGES, MEMBER_PAGE_SIZE } from '../../src/dingtalk/conference.js'
import { DingTalkApiError } from '../../src/dingtalk/errors.js'
import { DingTalkHttp } from '../../src/dingtalk/http.js'
import { TokenProvider } from '../../src/dingtalk/token.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { type EmulatorMeeting, sampleMeetings } from '../../src/emulator/meetings.js'
import { crowd } from '../../src/emulator/members.js'
import { CLIENT_ID, captureLogger, failure, SECRET } from '../helpers/index.js'

const T0 = Date.now()

function client(baseUrl: string) {
  const http = new DingTalkHttp({ baseUrl, timeoutMs: 1000 })
  const tokens = new TokenProvider({ http, clientId: CLIENT_ID, clientSecret: SECRET })
  const api = new DingTalkApi(
    http,
    tokens,
    { maxAttempts: 1, throttleBudgetMs: 0, baseDelayMs: 1 },
    captureLogger().log,
  )
  return new ConferenceClient(api)
}

async function setup(t: Test, meetings: EmulatorMeeting[]) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings,
    now: () => T0,
  })
  t.teardown(() => emu.close())
  return { emu, conf: client(emu.baseUrl) }
}

function crowded(id: string, n: number): EmulatorMeeting {
  return {
    conferenceId: id,
    roomCode: '111222333',
    title: 'All hands',
    status: 2,
    startTime: T0 - 3_600_000,
    creatorNick: 'CEO',
    members: crowd(
      T0 - 3_600_000,
      Array.from({ length: n }, (_, i) => ({ nick: `p${i}`, joinedAt: 0 })),
    ),
  }
}

t.test('one page: the members as DingTalk lists them, one call', async (t) => {
  const { emu, conf } = await setup(t, sampleMeetings(T0))
  const list = await conf.listMembers('5f1c2a9e07b3d4c6e8a10001')
  t.equal(list.members.length, 6)
  t.equal(list.totalCount, 6)
  t.equal(list.truncated, false)
  t.match(list.members[0], { userNick: '张伟', host: true, attendStatus: 3, duration: 25 * 60_000 })
  t.equal(emu.count('conference.members'), 1)
})

t.test('several pages: nextToken followed until "0", in order', async (t) => {
  const { emu, conf } = await setup(t, [crowded('aaaaaaaaaaaaaaaaaaaaaaaa', 300)])
  const list = await conf.listMembers('aaaaaaaaaaaaaaaaaaaaaaaa')
  t.equal(emu.count('conference.members'), 3, '128 + 128 + 44')
  t.equal(list.members.length, 300)
  t.same(
    list.members.map((m) => m.userNick),
    Array.from({ length: 300 }, (_, i) => `p${i}`),
  )
  t.same([list.totalCount, list.truncated], [300, false])
})

t.test(`more than ${MAX_MEMBER_PAGES} pages: stops there and says so`, async (t) => {
  const { emu, conf } = await setup(t, [crowded('bbbbbbbbbbbbbbbbbbbbbbbb', 1300)])
  const list = await conf.listMembers('bbbbbbbbbbbbbbbbbbbbbbbb')
  t.equal(emu.count('conference.members'), MAX_MEMBER_PAGES)
  t.equal(list.members.length, MAX_MEMBER_PAGES * MEMBER_PAGE_SIZE)
  t.equal(list.truncated, true)
  t.equal(list.totalCount, 1300, "DingTalk's total, not what was read")
})

t.test('errors are DingTalk errors of the members API', async (t) => {
  const { conf } = await setup(t, sampleMeetings(T0))
  const missing = await failure(conf.listMembers('ffffffffffffffffffffffff'))
  t.type(missing, DingTalkApiError)
  t.match(missing, { api: 'conference.members', kind: 'notFound' })
  const forbidden = await failure(conf.listMembers('5f1c2a9e07b3d4c6e8a10014'))
  t.match(forbidden, { api: 'conference.members', kind: 'forbidden' })
})

t.test('an upstream that does not move on (same token, empty pages) is not followed for long', async (t) => {
  let calls = 0
  let answer: (token: string | null) => unknown = () => ({})
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    if (req.url?.startsWith('/v1.0/oauth2/accessToken')) {
      res.end(JSON.stringify({ accessToken: 'tok', expireIn: 7200 }))
      return
    }
    calls++
    const token = new URL(req.url ?? '/', 'http://x').searchParams.get('nextToken')
    res.end(JSON.stringify(answer(token)))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  const addr = server.address() as { port: number }
  const conf = client(`http://127.0.0.1:${addr.port}`)

  answer = () => ({ memberModels: [{ userNick: 'a' }], nextToken: 'same', totalCount: 99 })
  const stuck = await conf.listMembers('x')
  t.equal(calls, 2, 'the second answer repeats the token: stop')
  t.same([stuck.members.length, stuck.truncated, stuck.totalCount], [2, false, 99])

  calls = 0
  answer = () => ({ memberModels: [], nextToken: 'more' })
  const empty = await conf.listMembers('x')
  t.equal(calls, 1, 'an empty page ends it')
  t.same([empty.members.length, empty.totalCount], [0, 0])

  calls = 0
  answer = () => ({ memberModels: 'nope', totalCount: 'many' })
  t.same((await conf.listMembers('x')).members, [], 'a malformed page reads as empty')
})
