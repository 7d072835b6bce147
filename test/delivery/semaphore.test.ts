import t from 'tap'
import { Semaphore } from '../../src/delivery/semaphore.js'

t.test('never more than the limit at once; everyone runs, in order', async (t) => {
  const s = new Semaphore(3)
  let active = 0
  let peak = 0
  const order: number[] = []
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      s.run(async () => {
        active++
        peak = Math.max(peak, active)
        order.push(i)
        await new Promise((r) => setTimeout(r, 2))
        active--
      }),
    ),
  )
  t.equal(peak, 3)
  t.same(order, [...Array(20).keys()])
  t.equal(s.queued, 0)
})

t.test('a failing task frees its slot', async (t) => {
  const s = new Semaphore(1)
  await t.rejects(
    s.run(async () => Promise.reject(new Error('boom'))),
    /boom/,
  )
  t.equal(await s.run(async () => 'next'), 'next')
})
