import t from 'tap'
import { KeyFilter } from '../../src/store/key-filter.js'

t.test('no false negatives; few false positives at capacity', async (t) => {
  const f = new KeyFilter(100_000, 20)
  for (let i = 0; i < 100_000; i++) f.add(`dedupe:msg${i}`)
  let missing = 0
  for (let i = 0; i < 100_000; i++) if (!f.mightHave(`dedupe:msg${i}`)) missing++
  t.equal(missing, 0, 'every added key is "maybe there"')
  let falsePositives = 0
  for (let i = 0; i < 100_000; i++) if (f.mightHave(`settings:cid${i}`)) falsePositives++
  t.ok(falsePositives / 100_000 < 0.05, `false positives ${(falsePositives / 1000).toFixed(2)}%`)
  f.reset()
  t.equal(f.added, 0)
  t.equal(f.mightHave('dedupe:msg1'), false, 'reset forgets')
})
