import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadMeetingsFile, MeetingsFileError, sampleMeetings } from '../../src/emulator/meetings.js'

const dir = mkdtempSync(join(tmpdir(), 'meeting-bot-meetings-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
function file(content: unknown): string {
  const f = join(dir, `m${n++}.json`)
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content))
  return f
}
const good = {
  conferenceId: 'abcdefabcdefabcdefabcdef',
  roomCode: '123456789',
  title: 'Mine',
  status: 2,
  startInMinutes: -30,
}

t.test('samples cover every card state', async (t) => {
  const now = Date.now()
  const ms = sampleMeetings(now)
  t.ok(
    ms.some((m) => m.status === 2 && !m.forbidden),
    'in progress',
  )
  t.ok(
    ms.some((m) => m.status === 0),
    'not started',
  )
  t.ok(
    ms.some((m) => m.status === 1),
    'ended',
  )
  t.ok(
    ms.some((m) => m.forbidden),
    'forbidden',
  )
  const byCode = new Map<string, number>()
  for (const m of ms) byCode.set(m.roomCode, (byCode.get(m.roomCode) ?? 0) + 1)
  t.ok(
    [...byCode.values()].some((c) => c >= 3),
    'a recurring room code',
  )
  t.notOk(byCode.has('999999999'), 'the advertised missing code is missing')
  t.equal(new Set(ms.map((m) => m.conferenceId)).size, ms.length, 'unique ids')
})

t.test('a valid file: bare array replaces, {mode: extend} extends; times relative to now', async (t) => {
  const now = 1_000_000_000_000
  const a = await loadMeetingsFile(file([good]), now)
  t.equal(a.mode, 'replace')
  t.equal(a.meetings[0]?.startTime, now - 30 * 60_000)
  t.equal(a.meetings[0]?.creatorNick, '')
  const b = await loadMeetingsFile(
    file({
      mode: 'extend',
      meetings: [{ ...good, startInMinutes: undefined, startTime: 5, endTime: 9, status: 1 }],
    }),
    now,
  )
  t.equal(b.mode, 'extend')
  t.match(b.meetings[0], { startTime: 5, endTime: 9 })
})

t.test('invalid files are rejected with a message naming the problem', async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['missing file', undefined, /cannot be read \(ENOENT\)/],
    ['not JSON', '{oops', /is not valid JSON/],
    ['no meetings', { mode: 'replace' }, /must be an array of meetings/],
    ['bad mode', { mode: 'merge', meetings: [] }, /mode must be "replace" or "extend"/],
    ['not an object', [42], /meetings\[0\]: must be an object/],
    ['bad id', [{ ...good, conferenceId: 'nope' }], /meetings\[0\]: conferenceId must be 24 hex characters/],
    [
      'bad room',
      [good, { ...good, conferenceId: 'bbbbbbbbbbbbbbbbbbbbbbbb', roomCode: '12' }],
      /meetings\[1\]: roomCode must be 6 to 12 digits/,
    ],
    ['bad status', [{ ...good, status: 3 }], /status must be 0/],
    ['no title', [{ ...good, title: 7 }], /title must be a string/],
    ['no start', [{ ...good, startInMinutes: undefined }], /needs startTime/],
    ['bad count', [{ ...good, activeNum: 'five' }], /activeNum must be a number/],
    ['duplicate', [good, good], /meetings\[1\]: conferenceId abcdefabcdefabcdefabcdef is repeated/],
  ]
  for (const [name, content, message] of cases) {
    const f = content === undefined ? join(dir, 'absent.json') : file(content)
    const err = await loadMeetingsFile(f, 0).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.type(err, MeetingsFileError, name)
    t.match((err as Error).message, message, name)
    t.match((err as Error).message, f, `${name}: names the file`)
  }
})
