import t, { type Test } from 'tap'
import { LocalFlight } from '../../../src/core/flight.js'
import { DingTalkApi } from '../../../src/dingtalk/api.js'
import { ConferenceClient } from '../../../src/dingtalk/conference.js'
import { DingTalkHttp } from '../../../src/dingtalk/http.js'
import { TokenProvider } from '../../../src/dingtalk/token.js'
import { DingTalkEmulator } from '../../../src/emulator/emulator.js'
import { sampleMeetings } from '../../../src/emulator/meetings.js'
import { DEFAULT_TTLS, MeetingNotFoundError, MeetingService } from '../../../src/features/meeting/service.js'
import { MemoryStore } from '../../../src/store/memory.js'
import {
  CLIENT_ID,
  captureLogger,
  failure,
  robotMessage,
  SECRET,
  type Stack,
  signedHeaders,
  startStack,
} from '../../helpers/index.js'

const LIVE = { kind: 'roomCode', code: '615902734' } as const
const ENDED = { kind: 'roomCode', code: '427212345' } as const

/** The meeting service against the emulator's sample meetings, on a clock the test moves. */
async function service(t: Test) {
  let now = Date.now()
  const clock = () => now
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: sampleMeetings(now),
  })
  t.teardown(() => emu.close())
  const http = new DingTalkHttp({ baseUrl: emu.baseUrl, timeoutMs: 1000 })
  const api = new DingTalkApi(
    http,
    new TokenProvider({ http, clientId: CLIENT_ID, clientSecret: SECRET }),
    { maxAttempts: 2, throttleBudgetMs: 100, baseDelayMs: 5 },
    captureLogger().log,
  )
  const store = new MemoryStore({ clock })
  const svc = new MeetingService(new ConferenceClient(api), store, new LocalFlight(), DEFAULT_TTLS, clock)
  return { emu, svc, advance: (ms: number) => (now += ms) }
}

t.test(
  'members: the meeting as `meeting` finds it, and its list, one call each for everyone asking',
  async (t) => {
    const { emu, svc } = await service(t)
    const all = await Promise.all(Array.from({ length: 50 }, () => svc.members(LIVE)))
    t.ok(all.every((r) => r.list.members.length === 6 && r.lookup.choice === 'inProgress'))
    t.equal(all[0]?.list.totalCount, 6)
    t.same(
      [emu.count('conference.byRoomCode'), emu.count('conference.info'), emu.count('conference.members')],
      [1, 1, 1],
      'single flight',
    )
    await svc.lookup(LIVE)
    t.equal(emu.count('conference.info'), 1, 'the meeting card shares the cached conference')
    await t.rejects(svc.members({ kind: 'roomCode', code: '999999999' }), MeetingNotFoundError)
    t.equal(emu.count('conference.members'), 1, 'no member call for a room that does not exist')
  },
)

t.test('cached like the meeting: seconds while it runs, a day once it ended; clear drops it', async (t) => {
  const { emu, svc, advance } = await service(t)
  await svc.members(LIVE)
  await svc.members(LIVE)
  t.equal(emu.count('conference.members'), 1, 'cached')
  emu.timeline.join('615902734', 'Bob')
  advance(DEFAULT_TTLS.liveMs + 1)
  const fresh = await svc.members(LIVE)
  t.equal(emu.count('conference.members'), 2, 'a live meeting: asked again after its TTL')
  t.ok(
    fresh.list.members.some((m) => m.userNick === 'Bob'),
    'and the join shows',
  )

  await svc.members(ENDED)
  advance(12 * 3600_000)
  await svc.members(ENDED)
  t.equal(emu.count('conference.members'), 3, 'an ended meeting: still cached after 12 h')
  t.equal(await svc.clear('427212345'), 3, 'the room list, the conference and its members')
  await svc.members(ENDED)
  t.equal(emu.count('conference.members'), 4, 'cleared: asked again')
})

t.test('a failed member call is not cached', async (t) => {
  const { emu, svc } = await service(t)
  emu.fail('conference.members', { status: 500, times: 2 })
  t.match(await failure(svc.members(LIVE)), { kind: 'server' })
  t.equal((await svc.members(LIVE)).list.members.length, 6)
})

type AnyReply = { msgtype: string; text?: { content: string }; markdown?: { text: string } }

t.test('the command, through the bot', async (t) => {
  let now = Date.now()
  const s: Stack = await startStack(t, {
    meetings: sampleMeetings(now),
    clock: () => now,
    // The cache's TTLs run on the bot's clock, which the test moves.
    store: new MemoryStore({ clock: () => now }),
    tuning: { pacing: { limit: 1000, windowMs: 60_000, maxWaitMs: 60_000 } },
  })
  const ask = async (text: string, over: Record<string, unknown> = {}) => {
    const res = await s.post(
      robotMessage({ text, sessionWebhook: s.emu.newSessionWebhook(), ...over }),
      signedHeaders(SECRET, now),
    )
    const r = (await res.json()) as AnyReply
    return r.text?.content ?? r.markdown?.text ?? ''
  }

  const en = await ask('members 615 902 734')
  t.match(en, '#### Sprint 43 retrospective · Participants')
  t.match(en, '**In the meeting now (5)**\n- 张伟 (host) · 25 min\n- 王芳 (co-host) · 24 min')
  t.match(en, 'Alice Chen (external)')
  t.match(en, '(by phone)')
  t.match(en, '**Joined and left (1)**\n- Han Meimei · 10 min')
  t.match(en, 'Invited, not joined: 8')
  t.match(en, /\n\n@manager4821$/, 'a group reply mentions the asker')
  t.match(await ask('参会人 615902734'), '**当前在会（5 人）**', 'the command word’s language')
  t.match(await ask('参会人615902734'), '**当前在会（5 人）**', 'glued to a Chinese command word')
  t.match(
    await ask('who https://meeting.dingtalk.com/app?roomCode=427212345'),
    '**Attended (12)**\n- Li Lei (host) · 1 h 30 min\n- Han Meimei (co-host) · 1 h 30 min',
  )
  t.match(await ask('members 5f1c2a9e07b3d4c6e8a10001'), 'Sprint 43 retrospective', 'by conference id')

  const usage = 'Send "members <room code | conference id | join link>"'
  t.match(await ask('members'), usage, 'no code')
  t.match(await ask('members tomorrow'), usage, 'not a code')
  t.match(await ask('参会人 明天'), '请发送“参会人 <会议号 | 会议 ID | 入会链接>”')
  t.match(await ask('members 999999999'), 'No meeting found for that code.', 'the same not-found as meeting')
  t.match(await ask('members 100 200 300'), 'I am not allowed to read this meeting.')

  // Time passes and people come and go: the answer follows once the live cache entry lapses.
  s.emu.timeline.join('615902734', 'Bob', { external: true })
  s.emu.timeline.leave('615902734', 'Li Lei')
  now += DEFAULT_TTLS.liveMs + 1
  const later = await ask('members 615902734')
  t.match(later, '**In the meeting now (5)**')
  t.match(later, 'Bob (external)')
  t.match(later, '**Joined and left (2)**\n- Li Lei · ')

  const help = await ask('help')
  t.match(
    help,
    '- **members <room code | conference id | join link>**: who is in a meeting, who joined and left (also: who, 参会人)',
  )
  t.match(await ask('帮助'), '- **参会人 <会议号 | 会议 ID | 入会链接>**: 查看谁在会议中、谁来过')

  // Counted like every DingTalk call: the usage ledger (in /status), the per-API budget, metrics.
  const status = await ask('/status', { senderStaffId: 'admin0001', isAdmin: true })
  // Three member calls: the live meeting, the ended one, the live one again after its TTL; the
  // conference-id question, the unknown and the forbidden room never reached the members API.
  t.match(status, '- conference.members: 3 (3 ok)')
  t.equal(
    await s.app.store.get(`qps:conference.members:${Math.floor(now / 1000)}`),
    '1',
    'the budget counted the last call in its second',
  )
  const metrics = await (await fetch(`${s.url}/metrics`)).text()
  t.match(metrics, 'meetingbot_upstream_calls_total{api="conference.members",status="200"} 3')
})
