import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import type { Keyspace } from '../../src/store/keyspaces.js'
import { DATA_FILE, DataFileError, SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite.js'

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'meeting-bot-sqlite-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const LONG = 5 * 60_000
const space = (prefix: string, persistence: Keyspace['persistence']): Keyspace => ({
  prefix,
  owner: 'test/sqlite',
  persistence,
  outage: 'drop',
})
/** Declared as the bot's owners declare them (src/app.ts): what reaches the file follows from it. */
const SPACES = [
  space('settings:', 'confirmed'),
  space('dedupe:', 'behind'),
  space('usage:', 'behind'),
  space('meeting:', 'behind'),
  space('meetingz:', 'behind'),
  space('rate:', 'volatile'),
  space('lock:', 'volatile'),
]

async function open(dir: string, opts?: SqliteStoreOptions, spaces = SPACES): Promise<SqliteStore> {
  const s = await SqliteStore.open(dir, opts)
  s.declare(spaces)
  return s
}

/** The rows committed to the file, read through a connection of its own. */
function fileRows(dir: string): Array<{ key: string; value: string; expiresAt: number }> {
  const db = new Database(join(dir, DATA_FILE), { readonly: true })
  try {
    return db.prepare('SELECT key, value, expires_at AS expiresAt FROM kv ORDER BY key').all() as Array<{
      key: string
      value: string
      expiresAt: number
    }>
  } finally {
    db.close()
  }
}

t.test('the Store contract, persisted across reopen', async (t) => {
  const dir = tempDir(t)
  let now = 1000
  const s = await open(join(dir, 'nested', 'data'), { clock: () => now })
  await s.set('settings:c1', '{"locale":"en"}')
  await s.set('rate:short', 'x', 100)
  t.equal(await s.setIfAbsent('dedupe:m1', 'done', LONG), true)
  t.equal(await s.setIfAbsent('dedupe:m1', 'claimed', LONG), false)
  t.equal(await s.increment('usage:u', LONG), 1)
  t.equal(await s.increment('usage:u', LONG), 2)
  now = 1100
  t.equal(await s.get('rate:short'), undefined, 'expired')
  await s.close()
  await s.close()

  const again = await open(join(dir, 'nested', 'data'), { clock: () => now })
  t.teardown(() => again.close())
  t.equal(await again.get('settings:c1'), '{"locale":"en"}', 'survives a restart')
  t.equal(await again.setIfAbsent('dedupe:m1', 'claimed', LONG), false, 'the ledger too')
  t.equal(await again.increment('usage:u', LONG), 3, 'and the counters')
  now = 1100 + LONG
  t.equal(await again.increment('usage:u', LONG), 1, 'a new window after the TTL')
  t.equal(await again.setIfAbsent('dedupe:m1', 'done', LONG), true, 'an expired entry can be taken')
  await again.set('meeting:room:1', 'a')
  await again.set('meeting:conf:2', 'b', LONG)
  await again.set('meetingz:c', 'c')
  t.equal(await again.deletePrefix('meeting:'), 2)
  t.equal(await again.get('meetingz:c'), 'c')
  await again.delete('meetingz:c')
  t.equal(await again.get('meetingz:c'), undefined)
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

t.test('written behind in batches; what reaches the file is what the keyspace declared', async (t) => {
  const dir = tempDir(t)
  let now = 1_000
  const a = await open(dir, { clock: () => now })
  await a.set('settings:k1', 'v1')
  await a.set('dedupe:m1', 'done', LONG)
  await a.setIfAbsent('dedupe:m2', 'claimed:x', 60_000)
  await a.increment('rate:user:u:1', 60_000)
  await a.set('meeting:conf:live', '{}', 15_000)
  await a.set('meeting:conf:ended', '{}', 24 * 3600_000)
  await a.set('lock:k', 'me', 10_000)
  // The write-behind timer commits the batch by itself, a few milliseconds later.
  await new Promise((r) => setTimeout(r, 50))
  await a.written()
  const keys = () => fileRows(dir).map((r) => r.key)
  t.same(
    keys(),
    ['dedupe:m1', 'dedupe:m2', 'meeting:conf:ended', 'meeting:conf:live', 'settings:k1'],
    'rate counters and locks (volatile) stay in memory; the rest is written whatever its TTL',
  )
  await a.set('dedupe:m2', 'done', LONG)
  await a.set('meeting:conf:ended', '{}', 1000)
  await a.delete('settings:k1')
  await a.set('dedupe:late', 'y')
  await a.close()
  t.same(
    keys(),
    ['dedupe:late', 'dedupe:m1', 'dedupe:m2', 'meeting:conf:ended', 'meeting:conf:live'],
    'close wrote the last batch',
  )
  t.equal(
    fileRows(dir).find((r) => r.key === 'meeting:conf:ended')?.expiresAt,
    2_000,
    'a row rewritten short-lived carries its new expiry, not the older one',
  )
  now = 2_000
  const b = await open(dir, { clock: () => now })
  t.teardown(() => b.close())
  t.equal(await b.get('dedupe:m2'), 'done')
  t.equal(await b.get('rate:user:u:1'), undefined, 'not kept across a restart')
  t.equal(await b.get('dedupe:late'), 'y')
  t.equal(await b.get('meeting:conf:ended'), undefined, 'expired at its newer TTL')
})

t.test('a bounded memory front: what it dropped is found in the file', async (t) => {
  const dir = tempDir(t)
  const s = await open(dir, { memoryEntries: 3 })
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

t.test('a key rewritten after memory dropped it: the older row does not come back', async (t) => {
  const dir = tempDir(t)
  let now = 1_000
  const s = await open(dir, { clock: () => now, memoryEntries: 3 })
  t.teardown(() => s.close())
  await s.set('meeting:conf:x', 'ended', LONG)
  for (let i = 0; i < 5; i++) await s.set(`dedupe:m${i}`, 'done', LONG)
  s.flush()
  await s.written()
  await s.set('meeting:conf:x', 'live', 15_000)
  t.equal(await s.get('meeting:conf:x'), 'live')
  now += 20_000
  t.equal(
    await s.get('meeting:conf:x'),
    undefined,
    'expired at its newer TTL, though the older row outlives it',
  )
  s.flush()
  await s.written()
  t.equal(await s.get('meeting:conf:x'), undefined, 'still gone once the batch is committed')
})

t.test('a volatile keyspace never reads the file: a row from an older declaration stays there', async (t) => {
  const dir = tempDir(t)
  const before = await open(dir, {}, [space('token:', 'behind')])
  await before.set('token:app', 'old-token', LONG)
  await before.close()
  t.same(
    fileRows(dir).map((r) => r.key),
    ['token:app'],
  )
  const s = await open(dir, {}, [space('token:', 'volatile')])
  t.teardown(() => s.close())
  t.equal(await s.get('token:app'), undefined, 'not read back')
  t.equal(await s.setIfAbsent('token:app', 'new', LONG), true, 'absent for every operation')
  await s.delete('token:app')
  t.equal(await s.increment('token:app', LONG), 1, 'a delete does not bring the row back either')
  t.equal(await s.deletePrefix('token:'), 1, 'only what memory holds')
  await s.close()
  t.equal(fileRows(dir)[0]?.value, 'old-token', 'never written: the purge takes it once it expires')
})

t.test('confirmed changes made at once share one transaction, committed before they resolve', async (t) => {
  const dir = tempDir(t)
  // No checkpoint during the test: the WAL only grows, so its growth counts the transactions.
  const s = await open(dir, { checkpointEveryMs: 60_000 })
  t.teardown(() => s.close())
  await s.set('settings:first', 'x')
  const wal = () => statSync(join(dir, `${DATA_FILE}-wal`)).size
  const walBefore = wal()
  await Promise.all(
    Array.from({ length: 200 }, (_, i) => s.set(`settings:c${i}`, `{"locale":"en","n":${i}}`)),
  )
  const rows = fileRows(dir)
  t.equal(
    rows.filter((r) => r.key.startsWith('settings:c')).length,
    200,
    'all 200 committed when they resolve',
  )
  // A transaction appends at least one page (4 KiB) to the WAL: 200 of them would be 800 KiB.
  const pages = (wal() - walBefore) / 4096
  t.ok(pages < 20, `one transaction, not 200 (${pages.toFixed(1)} pages appended)`)
})

t.test('after close: a confirmed change rejects, and nothing more reaches the file', async (t) => {
  const dir = tempDir(t)
  const s = await open(dir)
  await s.close()
  await t.rejects(s.set('settings:late', 'x'), /closed/)
  await s.set('dedupe:late', 'x', LONG)
  s.flush()
  t.same(fileRows(dir), [], 'nothing reaches the file after close')
})

t.test('the checkpoint thread copies the WAL back into the file, off the event loop', async (t) => {
  const dir = tempDir(t)
  const fileSize = () => statSync(join(dir, DATA_FILE)).size
  const idle = await open(dir, { checkpointEveryMs: 60_000 })
  const before = fileSize()
  const big = 'x'.repeat(2000)
  await Promise.all(Array.from({ length: 200 }, (_, i) => idle.set(`settings:a${i}`, big)))
  await new Promise((r) => setTimeout(r, 200))
  t.equal(fileSize(), before, 'committed to the WAL only: no checkpoint on the commit path')
  await idle.close()
  t.ok(fileSize() > before + 200 * 2000, 'closing (the last connection) checkpointed it')
  const s = await open(dir, { checkpointEveryMs: 20 })
  t.teardown(() => s.close())
  const reopened = fileSize()
  await Promise.all(Array.from({ length: 200 }, (_, i) => s.set(`settings:b${i}`, big)))
  const deadline = Date.now() + 5000
  while (fileSize() < reopened + 200 * 2000 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10))
  }
  t.ok(fileSize() >= reopened + 200 * 2000, 'the thread checkpointed while the store stayed open')
  t.equal(await s.get('settings:a7'), big)
})

t.test('the checkpoint thread gone: close() does not wait for it', async (t) => {
  const dir = tempDir(t)
  const s = await open(dir)
  await s.set('settings:k', 'v')
  await (s as unknown as { checkpointer: { terminate(): Promise<number> } }).checkpointer.terminate()
  await s.set('settings:k2', 'v2')
  await t.resolves(s.close(), 'closes without the thread')
  const again = await open(dir)
  t.teardown(() => again.close())
  t.equal(await again.get('settings:k'), 'v', 'what it had committed is there')
  t.equal(await again.get('settings:k2'), 'v2', 'commits do not need the thread')
})
