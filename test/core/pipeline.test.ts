import t from 'tap'
import { compose, type Step } from '../../src/core/pipeline.js'

type Ctx = { trail: string[] }

const step =
  (name: string): Step<Ctx> =>
  async (ctx, next) => {
    ctx.trail.push(`${name}>`)
    await next()
    ctx.trail.push(`<${name}`)
  }

t.test('steps run in order, down and back up', async (t) => {
  const ctx: Ctx = { trail: [] }
  await compose([step('a'), step('b'), step('c')])(ctx)
  t.same(ctx.trail, ['a>', 'b>', 'c>', '<c', '<b', '<a'])
})

t.test('a step that does not call next ends the flow there', async (t) => {
  const stop: Step<Ctx> = async (ctx) => void ctx.trail.push('stop')
  const ctx: Ctx = { trail: [] }
  await compose([step('a'), stop, step('never')])(ctx)
  t.same(ctx.trail, ['a>', 'stop', '<a'])
})

t.test('composed once, run many times: each run has its own progress', async (t) => {
  const flow = compose([step('a'), step('b')])
  const x: Ctx = { trail: [] }
  const y: Ctx = { trail: [] }
  await Promise.all([flow(x), flow(y)])
  t.same(x.trail, y.trail)
  t.same(x.trail, ['a>', 'b>', '<b', '<a'])
})

t.test('next() twice is a bug and rejects; a step that throws synchronously rejects the flow', async (t) => {
  const twice: Step<Ctx> = async (_ctx, next) => {
    await next()
    await next()
  }
  await t.rejects(compose([twice, step('b')])({ trail: [] }), /next\(\) called more than once/)
  const sync = (() => {
    throw new Error('boom')
  }) as unknown as Step<Ctx>
  await t.rejects(compose([step('a'), sync])({ trail: [] }), /boom/)
})

t.test('no steps: nothing happens', async (t) => {
  const ctx: Ctx = { trail: [] }
  await compose<Ctx>([])(ctx)
  t.same(ctx.trail, [])
})
