import { readdirSync, readFileSync } from 'node:fs'
import t from 'tap'
import { type Keyspace, Keyspaces, UndeclaredKeyError } from '../../src/store/keyspaces.js'

/** The bot's keyspaces (src/app.ts): their owners' business, not the store's. */
const DOMAIN = ['dedupe:', 'settings:', 'meeting:', 'rate:', 'qps:', 'usage:', 'token:']

const dedupe: Keyspace = { prefix: 'dedupe:', owner: 'core/dedupe', persistence: 'behind', outage: 'add' }
const settings: Keyspace = {
  prefix: 'settings:',
  owner: 'settings',
  persistence: 'confirmed',
  outage: 'mirror',
}

t.test('a key belongs to the keyspace of its first segment', async (t) => {
  const spaces = new Keyspaces([dedupe, settings])
  t.equal(spaces.of('dedupe:m1'), dedupe)
  t.equal(spaces.of('settings:chat:c1'), settings, 'only the first segment counts')
  t.throws(() => spaces.of('dedupe'), UndeclaredKeyError, 'no colon: no keyspace')
  t.throws(() => spaces.of(':x'), UndeclaredKeyError, 'an empty first segment')
  t.throws(() => spaces.of('meeting:conf:1'), { name: 'UndeclaredKeyError', message: /"meeting:conf:1"/ })
  t.equal(new UndeclaredKeyError('x'.repeat(500)).message.length < 100, true, 'a long key is cut short')
  t.same(
    spaces.all().map((s) => s.prefix),
    ['dedupe:', 'settings:'],
  )
})

t.test('declarations: the same twice is fine, a conflicting one or a malformed prefix is not', async (t) => {
  const spaces = new Keyspaces([dedupe])
  spaces.declare([dedupe, { ...dedupe }])
  t.equal(spaces.all().length, 1)
  t.throws(
    () => spaces.declare([{ ...dedupe, persistence: 'volatile' }]),
    /declared twice \(core\/dedupe, core\/dedupe\)/,
  )
  t.throws(() => spaces.declare([{ ...dedupe, prefix: 'Dedupe:' }]), /must look like "name:"/)
  t.throws(() => spaces.declare([{ ...dedupe, prefix: 'dedupe' }]), /must look like "name:"/)
  t.throws(() => spaces.declare([{ ...dedupe, prefix: 'a:b:' }]), /must look like "name:"/)
})

t.test('no file in src/store names a domain keyspace: the owners declare theirs', async (t) => {
  const dir = new URL('../../src/store/', import.meta.url)
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'))
  t.ok(files.includes('sqlite.ts') && files.includes('resilient.ts'), `read ${files.length} files`)
  for (const f of files) {
    const source = readFileSync(new URL(f, dir), 'utf8')
    // As a string literal's start: `token: string` in a signature is not a key.
    const named = DOMAIN.filter((prefix) => ["'", '"', '`'].some((q) => source.includes(q + prefix)))
    t.same(named, [], f)
  }
})
