import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { DATA_FILE, DataFileError, PERSIST_MIN_MS, SqliteStore } from '../../src/store/sqlite.js'

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'meeting-bot-sqlite-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('the Store contract, persisted across reopen', async (t) => {
  const dir = tempDir(t)
  const LONG = PERSIST_MIN_MS
  let now = 1000
  const s = await SqliteStore.open(join(dir, 'nested', 'data'), { clock: () => now })
  await s.set('settings:c1', '{"locale":"en"}')
  await s.set('short', 'x', 100)
  t.equal(await s.setIfAbsent('dedupe:m1', 'done', LONG), true)
  t.equal(await s.setIfAbsent('dedupe:m1', 'claimed', LONG), false)
  t.equal(await s.increment('usage:u', LONG), 1)
  t.equal(await s.increment('usage:u', LONG), 2)
  now = 1100
  t.equal(await s.get('short'), undefined, 'expired')
  await s.close()
  await s.close()

  const again = await SqliteStore.open(join(dir, 'nested', 'data'), { clock: () => now })
  t.teardown(() => again.close())
  t.equal(await again.get('settings:c1'), '{"locale":"en"}', 'survives a restart')
  t.equal(await again.setIfAbsent('dedupe:m1', 'claimed', LONG), false, 'the ledger too')
  t.equal(await again.increment('usage:u', LONG), 3, 'and the counters')
  now = 1100 + LONG
  t.equal(await again.increment('usage:u', LONG), 1, 'a new window after the TTL')
  t.equal(await again.setIfAbsent('dedupe:m1', 'done', LONG), true, 'an expired entry can be taken')
  await again.set('meeting:room:1', 'a')
  await again.set('meeting:conf:2', 'b', LONG)
  await again.set('meetinz', 'c')
  t.equal(await again.deletePrefix('meeting:'), 2)
  t.equal(await again.get('meetinz'), 'c')
  await again.delete('meetinz')
  t.equal(await again.get('meetinz'), undefined)
  now += 2 * LONG
  t.ok((await again.purge()) >= 1, 'expired rows are purged')
})

t.test('a corrupt data file is a clear start-up error and is left alone', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, DATA_FILE)
  const garbage = "this is not a database, but it is somebody's data".repeat(200)
  writeFileSync(file, garbage)
  const err = (await SqliteStore.open(dir).catch((e: unknown) => e)) as DataFileError
  t.type(err, DataFileError)
  t.match(err.message, /corrupt or not a meeting-bot database/)
  t.match(err.message, file)
  t.equal(readFileSync(file, 'utf8'), garbage, 'not a byte changed')
})

// Tests run as root here, so permissions cannot make a directory unwritable; a path that is a
// file cannot be created as a directory whoever runs it.
t.test('an unusable data directory is a clear start-up error', async (t) => {
  const dir = tempDir(t)
  const notADir = join(dir, 'file')
  writeFileSync(notADir, 'x')
  await t.rejects(SqliteStore.open(notADir), { name: 'DataFileError', message: /not writable/ })
})

t.test('written behind in batches; only what outlives a restart reaches the file', async (t) => {
  const dir = tempDir(t)
  const LONG = PERSIST_MIN_MS
  let now = 1_000
  const a = await SqliteStore.open(dir, { clock: () => now })
  await a.set('settings:k1', 'v1')
  await a.set('dedupe:m1', 'done', LONG)
  await a.setIfAbsent('dedupe:m2', 'claimed:x', 60_000)
  await a.increment('rate:user:u:1', 60_000)
  await a.set('meeting:conf:live', '{}', 15_000)
  await a.set('meeting:conf:ended', '{}', 24 * 3600_000)
  await a.set('lock:k', 'me', 10_000)
  // The write-behind timer sends the batch by itself; the writer thread commits it a little later.
  await new Promise((r) => setTimeout(r, 50))
  await a.written()
  const { default: Database } = await import('better-sqlite3')
  const peek = new Database(join(dir, DATA_FILE), { readonly: true })
  const keys = () =>
    (peek.prepare('SELECT key FROM kv ORDER BY key').all() as Array<{ key: string }>).map((r) => r.key)
  t.same(
    keys(),
    ['dedupe:m1', 'meeting:conf:ended', 'settings:k1'],
    'leases, rate counters, live caches and locks stay in memory',
  )
  await a.set('dedupe:m2', 'done', LONG)
  await a.set('meeting:conf:ended', '{}', 1000)
  await a.delete('settings:k1')
  await a.set('late', 'y')
  await a.close()
  t.same(
    keys(),
    ['dedupe:m1', 'dedupe:m2', 'late'],
    'close wrote the last batch; a row that turned short-lived is gone',
  )
  peek.close()
  now = 2_000
  const b = await SqliteStore.open(dir, { clock: () => now })
  t.teardown(() => b.close())
  t.equal(await b.get('dedupe:m2'), 'done')
  t.equal(await b.get('rate:user:u:1'), undefined, 'not kept across a restart')
  t.equal(await b.get('late'), 'y')
})

t.test('a bounded memory front: what it dropped is found in the file', async (t) => {
  const dir = tempDir(t)
  const LONG = PERSIST_MIN_MS
  const s = await SqliteStore.open(dir, { memoryEntries: 3 })
  t.teardown(() => s.close())
  for (let i = 0; i < 10; i++) await s.set(`dedupe:m${i}`, 'done', LONG)
  t.equal(
    await s.setIfAbsent('dedupe:m0', 'claimed', 60_000),
    false,
    'evicted from memory, still pending for the file',
  )
  s.flush()
  for (let i = 10; i < 20; i++) await s.set(`dedupe:m${i}`, 'done', LONG)
  s.flush()
  t.equal(await s.get('dedupe:m1'), 'done', 'read back from the file')
  t.equal(await s.setIfAbsent('dedupe:m2', 'claimed', 60_000), false, 'an answered message stays answered')
  t.equal(await s.increment('usage:x', LONG), 1)
  for (let i = 20; i < 30; i++) await s.set(`dedupe:m${i}`, 'done', LONG)
  s.flush()
  t.equal(await s.increment('usage:x', LONG), 2, 'a counter continues from the file')
  await s.delete('dedupe:m3')
  t.equal(await s.get('dedupe:m3'), undefined, 'a delete is not undone by the file')
  t.equal(await s.deletePrefix('dedupe:'), 29, 'counted in memory and file alike')
})

t.test('a key rewritten short-lived after memory dropped it: the older row does not come back', async (t) => {
  const dir = tempDir(t)
  let now = 1_000
  const s = await SqliteStore.open(dir, { clock: () => now, memoryEntries: 3 })
  t.teardown(() => s.close())
  await s.set('meeting:conf:x', 'ended', PERSIST_MIN_MS)
  for (let i = 0; i < 5; i++) await s.set(`dedupe:m${i}`, 'done', PERSIST_MIN_MS)
  s.flush()
  await s.written()
  await s.set('meeting:conf:x', 'live', 15_000)
  t.equal(await s.get('meeting:conf:x'), 'live')
  now += 20_000
  t.equal(await s.get('meeting:conf:x'), undefined, 'expired, and the file row was deleted')
  s.flush()
  await s.written()
  t.equal(await s.get('meeting:conf:x'), undefined, 'still gone once the batch is committed')
})

t.test('the writer thread gone: close() does not wait for it', async (t) => {
  const dir = tempDir(t)
  const s = await SqliteStore.open(dir)
  await s.set('settings:k', 'v')
  s.flush()
  await s.written()
  await (s as unknown as { writer: { terminate(): Promise<number> } }).writer.terminate()
  await t.resolves(s.close(), 'closes without the writer')
  const again = await SqliteStore.open(dir)
  t.teardown(() => again.close())
  t.equal(await again.get('settings:k'), 'v', 'what it had committed is there')
})
