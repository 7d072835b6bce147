import t, { type Test } from 'tap'
import { LocalFlight } from '../../../src/core/flight.js'
import { DingTalkApi } from '../../../src/dingtalk/api.js'
import { ConferenceClient } from '../../../src/dingtalk/conference.js'
import { DingTalkHttp } from '../../../src/dingtalk/http.js'
import { TokenProvider } from '../../../src/dingtalk/token.js'
import { DingTalkEmulator } from '../../../src/emulator/emulator.js'
import { sampleMeetings } from '../../../src/emulator/meetings.js'
import {
  DEFAULT_TTLS,
  MeetingNotFoundError,
  MeetingService,
  RECENT_MS,
} from '../../../src/features/meeting/service.js'
import { MemoryStore } from '../../../src/store/memory.js'
import { CLIENT_ID, captureLogger, failure, fixtureMeetings, SECRET } from '../../helpers/index.js'

async function setup(t: Test, meetings = fixtureMeetings()) {
  let now = 1_800_000_000_000
  const clock = () => now
  const emu = await DingTalkEmulator.start({ clientId: CLIENT_ID, clientSecret: SECRET, meetings })
  t.teardown(() => emu.close())
  const http = new DingTalkHttp({ baseUrl: emu.baseUrl, timeoutMs: 1000 })
  const api = new DingTalkApi(
    http,
    new TokenProvider({ http, clientId: CLIENT_ID, clientSecret: SECRET }),
    { maxAttempts: 2, throttleBudgetMs: 100, baseDelayMs: 5 },
    captureLogger().log,
  )
  const store = new MemoryStore({ clock })
  const service = new MeetingService(new ConferenceClient(api), store, new LocalFlight(), DEFAULT_TTLS, clock)
  return { emu, service, store, advance: (ms: number) => (now += ms) }
}

t.test('room code: picks the meeting in progress and says how many share the code', async (t) => {
  const { service } = await setup(t)
  const r = await service.lookup({ kind: 'roomCode', code: '615902734' })
  t.equal(r.conference.title, 'Sprint 43 retrospective')
  t.equal(r.conference.activeNum, 5, 'counts come from the conference API')
  t.equal(r.sharedCount, 2)
  t.equal(r.choice, 'inProgress')
})

t.test('conference id: one call, no room-code list', async (t) => {
  const { emu, service } = await setup(t)
  const r = await service.lookup({ kind: 'conferenceId', id: '5f1c2a9e07b3d4c6e8a1f2b3' })
  t.equal(r.conference.status, 1)
  t.equal(r.choice, 'byId')
  t.equal(emu.count('conference.byRoomCode'), 0)
  t.equal(emu.count('conference.info'), 1)
})

t.test('200 concurrent cold asks: one list call, one info call, one token call', async (t) => {
  const { emu, service } = await setup(t)
  const results = await Promise.all(
    Array.from({ length: 200 }, () => service.lookup({ kind: 'roomCode', code: '615902734' })),
  )
  t.ok(results.every((r) => r.conference.conferenceId === '7e2d4b6a8c0e1f3a5b7c9d1e'))
  t.equal(emu.count('conference.byRoomCode'), 1)
  t.equal(emu.count('conference.info'), 1)
  t.equal(emu.count('token'), 1)
})

t.test('live answers expire in seconds, ended ones stay for a day', async (t) => {
  const { emu, service, advance } = await setup(t)
  await service.lookup({ kind: 'roomCode', code: '615902734' })
  await service.lookup({ kind: 'roomCode', code: '615902734' })
  t.equal(emu.count('conference.info'), 1, 'cached')
  advance(DEFAULT_TTLS.liveMs + 1)
  await service.lookup({ kind: 'roomCode', code: '615902734' })
  t.equal(emu.count('conference.info'), 2, 'live meeting refetched after its TTL')
  t.equal(emu.count('conference.byRoomCode'), 2, 'the list holds no longer than its live entry')

  await service.lookup({ kind: 'conferenceId', id: '5f1c2a9e07b3d4c6e8a1f2b3' })
  advance(12 * 3600_000)
  await service.lookup({ kind: 'conferenceId', id: '5f1c2a9e07b3d4c6e8a1f2b3' })
  t.equal(emu.count('conference.info'), 3, 'ended meeting still cached after 12 h')
  t.same(service.cacheStats(), { hits: 3, misses: 5 })
})

t.test('a hot question reuses the last result for up to a second; clear() forgets it', async (t) => {
  const { emu, service, store, advance } = await setup(t)
  const ref = { kind: 'roomCode', code: '615902734' } as const
  const first = await service.lookup(ref)
  let reads = 0
  const get = store.get.bind(store)
  store.get = async (key: string) => {
    reads++
    return get(key)
  }
  advance(RECENT_MS - 1)
  t.equal(await service.lookup(ref), first, 'the same result object')
  t.equal(reads, 0, 'no store read within the second')
  advance(1)
  t.same(await service.lookup(ref), first)
  t.equal(reads, 2, 'after it: the cache (room list and conference) again')
  t.equal(emu.count('conference.info'), 1, 'still no upstream call')
  await service.clear('615902734')
  reads = 0
  await service.lookup(ref)
  t.equal(emu.count('conference.info'), 2, 'cleared: asked upstream again at once')
  const short = new MeetingService(
    (service as unknown as { conferences: never }).conferences,
    store,
    new LocalFlight(),
    { ...DEFAULT_TTLS, liveMs: 200 },
  )
  t.equal(
    (short as unknown as { recentMs: number }).recentMs,
    200,
    'never longer than the shortest cache TTL',
  )
})

t.test('unknown room: not found, and the empty answer is cached briefly', async (t) => {
  const { emu, service, advance } = await setup(t)
  await t.rejects(service.lookup({ kind: 'roomCode', code: '999999999' }), MeetingNotFoundError)
  await t.rejects(service.lookup({ kind: 'roomCode', code: '999999999' }), MeetingNotFoundError)
  t.equal(emu.count('conference.byRoomCode'), 1)
  advance(DEFAULT_TTLS.notFoundMs + 1)
  await t.rejects(service.lookup({ kind: 'roomCode', code: '999999999' }))
  t.equal(emu.count('conference.byRoomCode'), 2)
})

t.test('a failed lookup is not cached and does not block the next', async (t) => {
  const { emu, service } = await setup(t)
  emu.fail('conference.byRoomCode', { status: 500, times: 2 })
  t.match(await failure(service.lookup({ kind: 'roomCode', code: '615902734' })), { kind: 'server' })
  t.equal((await service.lookup({ kind: 'roomCode', code: '615902734' })).choice, 'inProgress')
})

t.test('clear drops cached answers', async (t) => {
  const { emu, service } = await setup(t, sampleMeetings(Date.now()))
  await service.lookup({ kind: 'roomCode', code: '427212345' })
  await service.lookup({ kind: 'roomCode', code: '615902734' })
  t.equal(await service.clear('427212345'), 2, 'the room list and its conference')
  t.equal(await service.clear('427212345'), 0, 'nothing left for that room')
  await service.lookup({ kind: 'roomCode', code: '427212345' })
  t.equal(emu.count('conference.byRoomCode'), 3)
  t.equal(emu.count('conference.info'), 3, 'refetched after the clear')
  t.equal(await service.clear(), 4, 'everything: two rooms, two conferences')
})
