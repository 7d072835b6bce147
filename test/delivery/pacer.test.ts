import t from 'tap'
import { Pacer } from '../../src/delivery/pacer.js'

t.test('sliding window per conversation', async (t) => {
  let now = 0
  const p = new Pacer({ limit: 2, windowMs: 1000, maxWaitMs: 1500 }, () => now)
  t.same(p.reserve('a'), { ok: true, delayMs: 0, firstDelay: false })
  t.same(p.reserve('a'), { ok: true, delayMs: 0, firstDelay: false })
  t.same(p.reserve('b'), { ok: true, delayMs: 0, firstDelay: false }, 'other conversations are independent')
  t.same(p.reserve('a'), { ok: true, delayMs: 1000, firstDelay: true }, 'third waits for the window')
  t.same(p.reserve('a'), { ok: true, delayMs: 1000, firstDelay: false }, 'fourth too; no second notice')
  t.same(p.reserve('a'), { ok: false, retryInMs: 2000 }, 'fifth would wait too long')
  now = 2500
  t.same(p.reserve('a'), { ok: true, delayMs: 0, firstDelay: false }, 'window moved on')
})

t.test('the notice comes again in a later window', async (t) => {
  let now = 0
  const p = new Pacer({ limit: 1, windowMs: 100, maxWaitMs: 1000 }, () => now)
  p.reserve('a')
  t.equal((p.reserve('a') as { firstDelay: boolean }).firstDelay, true)
  now = 150
  t.equal((p.reserve('a') as { firstDelay: boolean }).firstDelay, true)
})

t.test('quiet conversations are forgotten', async (t) => {
  let now = 0
  const p = new Pacer({ limit: 1, windowMs: 10, maxWaitMs: 100 }, () => now)
  for (let i = 0; i < 10_001; i++) p.reserve(`c${i}`)
  now = 1000
  p.reserve('new')
  t.equal((p as unknown as { lanes: Map<string, unknown> }).lanes.size, 1)
})

t.test('many conversations in one window do not make every new one pay for a sweep', async (t) => {
  let now = 0
  const p = new Pacer({ limit: 18, windowMs: 60_000, maxWaitMs: 60_000 }, () => now)
  const inner = p as unknown as { sweep(now: number): void; lanes: Map<string, unknown> }
  const sweep = inner.sweep.bind(p)
  let sweeps = 0
  inner.sweep = (n: number) => {
    sweeps++
    sweep(n)
  }
  for (let i = 0; i < 100_000; i++) {
    now = Math.floor(i / 10) // 10 s in all: nothing can be forgotten yet
    p.reserve(`c${i}`)
  }
  t.equal(inner.lanes.size, 100_000, 'active conversations are all kept')
  t.ok(sweeps <= 4, `swept ${sweeps} times for 100,000 new conversations (doubling threshold)`)
  now = 200_000
  p.reserve('later')
  for (let i = 0; i < 100_000; i++) p.reserve(`d${i}`)
  t.ok(inner.lanes.size <= 100_001, 'quiet conversations go at the next sweep')
  t.same(p.reserve('c1'), { ok: true, delayMs: 0, firstDelay: false })
})
