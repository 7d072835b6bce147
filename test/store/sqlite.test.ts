import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { DATA_FILE, DataFileError, SqliteStore } from '../../src/store/sqlite.js'

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'meeting-bot-sqlite-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('the Store contract, persisted across reopen', async (t) => {
  const dir = tempDir(t)
  let now = 1000
  const s = new SqliteStore(join(dir, 'nested', 'data'), () => now)
  await s.set('settings:c1', '{"locale":"en"}')
  await s.set('short', 'x', 100)
  t.equal(await s.setIfAbsent('dedupe:m1', 'claimed', 500), true)
  t.equal(await s.setIfAbsent('dedupe:m1', 'claimed', 500), false)
  t.equal(await s.increment('rate:u', 1000), 1)
  t.equal(await s.increment('rate:u', 1000), 2)
  now = 1100
  t.equal(await s.get('short'), undefined, 'expired')
  await s.close()
  await s.close()

  const again = new SqliteStore(join(dir, 'nested', 'data'), () => now)
  t.teardown(() => again.close())
  t.equal(await again.get('settings:c1'), '{"locale":"en"}', 'survives a restart')
  t.equal(await again.setIfAbsent('dedupe:m1', 'claimed', 500), false, 'the ledger too')
  t.equal(await again.increment('rate:u', 1000), 3)
  now = 2100
  t.equal(await again.increment('rate:u', 1000), 1, 'a new window after the TTL')
  t.equal(await again.setIfAbsent('dedupe:m1', 'done', 500), true, 'a lapsed lease can be taken')
  await again.set('meeting:room:1', 'a')
  await again.set('meeting:conf:2', 'b')
  await again.set('meetinz', 'c')
  t.equal(await again.deletePrefix('meeting:'), 2)
  t.equal(await again.get('meetinz'), 'c')
  await again.delete('meetinz')
  t.equal(await again.get('meetinz'), undefined)
  now = 10_000
  t.ok(again.purge() >= 1, 'expired rows are purged')
})

t.test('a corrupt data file is a clear start-up error and is left alone', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, DATA_FILE)
  writeFileSync(file, "this is not a database, but it is somebody's data".repeat(200))
  const err = t.throws(() => new SqliteStore(dir)) as DataFileError
  t.type(err, DataFileError)
  t.match(err.message, /corrupt or not a meeting-bot database/)
  t.match(err.message, file)
})

// Tests run as root here, so permissions cannot make a directory unwritable; a path that is a
// file cannot be created as a directory whoever runs it.
t.test('an unusable data directory is a clear start-up error', async (t) => {
  const dir = tempDir(t)
  const notADir = join(dir, 'file')
  writeFileSync(notADir, 'x')
  t.throws(() => new SqliteStore(notADir), { name: 'DataFileError', message: /not writable/ })
})
