import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { BackgroundLoop } from '../../src/core/background-loop.js'
import { captureLogger, waitFor } from '../helpers/index.js'

function loop(pass: () => Promise<void>, everyMs = 10, stopWaitMs = 5000) {
  const { log, capture } = captureLogger()
  return {
    loop: new BackgroundLoop({ pass, everyMs: () => everyMs, log, name: 'test', stopWaitMs }),
    capture,
  }
}

t.test('passes come on the period and never overlap', async (t) => {
  let running = 0
  let most = 0
  let passes = 0
  const { loop: l } = loop(async () => {
    running++
    most = Math.max(most, running)
    await sleep(35)
    running--
    passes++
  })
  const first = l.tick()
  t.equal(l.tick(), first, 'a tick while a pass runs is that pass')
  l.start()
  l.start()
  await waitFor(() => passes >= 3, 3000, 'three passes')
  t.equal(most, 1, 'one at a time, though the period is shorter than a pass')
  await l.stop()
  const after = passes
  await sleep(60)
  t.equal(passes, after, 'none after stop')
  await l.tick()
  t.equal(passes, after, 'a tick after stop runs nothing')
})

t.test('background jobs: counted for stop, failures logged, none after stop', async (t) => {
  const { loop: l, capture } = loop(async () => {})
  let finished = false
  l.background(async () => {
    await sleep(40)
    finished = true
  })
  l.background(async () => Promise.reject(new Error('nope')))
  await waitFor(() => capture.find('test: background work failed').length === 1)
  t.match(capture.find('test: background work failed')[0], { err: { message: 'nope' } })
  await l.stop()
  t.ok(finished, 'stop waited for the job in flight')
  t.ok(l.stopped)
  let ran = false
  l.background(async () => {
    ran = true
  })
  t.notOk(ran, 'nothing starts once stopped')
})

t.test('stop waits for what is in flight only as long as its bound', async (t) => {
  const { loop: l } = loop(async () => {}, 10, 50)
  l.background(() => new Promise(() => {}))
  // The bound's timer does not hold the process open (a service stopping must not hang on it).
  const hold = setTimeout(() => {}, 5000)
  const started = Date.now()
  await l.stop()
  const took = Date.now() - started
  clearTimeout(hold)
  t.ok(took >= 45 && took < 1000, `bounded (${took} ms)`)
})
