import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { CLICK_WINDOW_MS } from '../../src/app/pipeline.js'
import { Bot } from '../../src/core/bot.js'
import type { CardActionContext } from '../../src/core/card-action.js'
import type { CardActionFlowContext } from '../../src/core/card-action-context.js'
import type { MessageContext } from '../../src/core/context.js'
import type { EventFlowContext } from '../../src/core/event-context.js'
import { captureLogger } from '../helpers/index.js'
import { clickCore, inboundClick } from './steps/card-fake.js'
import { chatSource, inbound, inboundEvent } from './steps/fake.js'

function bot(flow: (ctx: MessageContext) => Promise<void>) {
  const { log, capture } = captureLogger()
  return { bot: new Bot({ flow, chat: chatSource({ locale: 'en' }), log, clock: () => 42 }), capture }
}

t.test('one context per message through the flow; the outcome is what the flow decided', async (t) => {
  const seen: MessageContext[] = []
  const { bot: b } = bot(async (ctx) => {
    seen.push(ctx)
    ctx.outcome = 'answered'
  })
  const msg = inbound({ text: 'help' })
  t.equal(await b.handle(msg), 'answered')
  t.equal(await b.handle(inbound()), 'answered')
  t.equal(seen.length, 2)
  t.not(seen[0], seen[1], 'a fresh context each time')
  t.equal(seen[0]?.msg, msg)
  t.equal(seen[0]?.id, msg.id)
  t.equal(seen[0]?.started, 42)
  t.equal(await seen[0]?.chatLocale(), 'en', 'settings come from the chat source')
  const sink = { offer: () => true }
  await b.handle(inbound(), sink)
  t.equal(seen[2]?.sink, sink, 'the transport sink travels with the message')
})

t.test('a flow that throws: the message failed, logged; handle never throws', async (t) => {
  const { bot: b, capture } = bot(async () => {
    throw new Error('a step above the report broke')
  })
  t.equal(await b.handle(inbound()), 'failed')
  t.equal(capture.find('message handling failed').length, 1)
})

t.test('drain: no new messages, the ones in flight finish (bounded)', async (t) => {
  let release: () => void = () => {}
  const gate = new Promise<void>((r) => {
    release = r
  })
  const { bot: b } = bot(async (ctx) => {
    await gate
    ctx.outcome = 'answered'
  })
  const first = b.handle(inbound())
  t.equal(b.pending, 1)
  t.same(await b.drain(30), { pending: 1 }, 'the bound ends the wait')
  t.equal(await b.handle(inbound()), 'rejected', 'draining: nothing new')
  const drained = b.drain(5_000)
  await sleep(5)
  release()
  t.same(await drained, { pending: 0 }, 'done as soon as the last one is')
  t.equal(await first, 'answered')
})

t.test(
  'an event goes through the event flow with its own context and logger; its outcome comes back',
  async (t) => {
    const { log, capture } = captureLogger()
    const seen: EventFlowContext[] = []
    const b = new Bot({
      flow: async () => {},
      eventFlow: async (ctx) => {
        seen.push(ctx)
        ctx.log.info('inside')
        ctx.outcome = 'handled'
      },
      chat: chatSource(),
      log,
      clock: () => 42,
    })
    const event = inboundEvent({ id: 'evtBot1', type: 'meeting_member_status_change' })
    t.equal(await b.event(event), 'handled')
    t.equal(seen[0]?.event, event)
    t.equal(seen[0]?.id, 'evtBot1')
    t.equal(seen[0]?.transport, 'stream')
    t.equal(seen[0]?.started, 42)
    t.match(capture.find('inside')[0], {
      eventId: 'evtBot1',
      eventType: 'meeting_member_status_change',
      transport: 'stream',
    })
    const bare = bot(async () => {}).bot
    t.equal(await bare.event(inboundEvent()), 'ignored', 'no event flow: nobody handles events')
  },
)

t.test('an event flow that throws: failed, logged; event never throws', async (t) => {
  const { log, capture } = captureLogger()
  const b = new Bot({
    flow: async () => {},
    eventFlow: async () => {
      throw new Error('a step above the report broke')
    },
    chat: chatSource(),
    log,
  })
  t.equal(await b.event(inboundEvent()), 'failed')
  t.equal(capture.find('event handling failed').length, 1)
})

t.test('events count in flight like messages: busy, and the drain waits for them', async (t) => {
  let release: () => void = () => {}
  const gate = new Promise<void>((r) => {
    release = r
  })
  const { log } = captureLogger()
  const b = new Bot({
    flow: async () => {},
    eventFlow: async (ctx) => {
      await gate
      ctx.outcome = 'handled'
    },
    chat: chatSource(),
    log,
    maxPending: 2,
  })
  const first = b.event(inboundEvent())
  t.equal(b.pending, 1)
  t.equal(b.busy(), false)
  const second = b.event(inboundEvent())
  t.equal(b.busy(), true, 'at the bound: transports push back')
  const drained = b.drain(5_000)
  t.equal(await b.event(inboundEvent()), 'failed', 'draining: not handled here, to be pushed again')
  await sleep(5)
  t.equal(b.pending, 2, 'the drain waits for them')
  release()
  t.same(await drained, { pending: 0 })
  t.equal(await first, 'handled')
  t.equal(await second, 'handled')
})

t.test(
  'a card click goes through the click flow with its own context and logger; data comes back',
  async (t) => {
    const { log, capture } = captureLogger()
    const seen: CardActionFlowContext[] = []
    const b = new Bot({
      flow: async () => {},
      cardFlow: async (ctx) => {
        seen.push(ctx)
        ctx.log.info('inside')
        ctx.outcome = 'handled'
        ctx.data = { activeNum: '3' }
      },
      chat: chatSource(),
      log,
      clock: () => 42,
    })
    const click = inboundClick({ id: 'clkBot1', outTrackId: 'mtg-b', action: 'members', userId: 'u1' })
    t.same(await b.cardAction(click), { outcome: 'handled', data: { activeNum: '3' } })
    t.equal(seen[0]?.action, click)
    t.equal(seen[0]?.id, 'clkBot1')
    t.equal(seen[0]?.command, 'members')
    t.equal(seen[0]?.started, 42)
    t.match(capture.find('inside')[0], {
      clickId: 'clkBot1',
      outTrackId: 'mtg-b',
      action: 'members',
      userId: 'u1',
      transport: 'stream',
    })
    const bare = bot(async () => {}).bot
    t.same(
      await bare.cardAction(inboundClick()),
      { outcome: 'ignored' },
      'no click flow: nobody answers clicks',
    )
  },
)

t.test('a click flow that throws: failed, no data, logged; cardAction never throws', async (t) => {
  const { log, capture } = captureLogger()
  const b = new Bot({
    flow: async () => {},
    cardFlow: async (ctx) => {
      ctx.data = { x: 'y' }
      throw new Error('a step above the report broke')
    },
    chat: chatSource(),
    log,
  })
  t.same(await b.cardAction(inboundClick()), { outcome: 'failed' })
  t.equal(capture.find('card action handling failed').length, 1)
})

t.test(
  'clicks count in flight: busy, the drain waits for them; draining: failed without running',
  async (t) => {
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    let ran = 0
    const { log } = captureLogger()
    const b = new Bot({
      flow: async () => {},
      cardFlow: async (ctx) => {
        ran++
        await gate
        ctx.outcome = 'handled'
      },
      chat: chatSource(),
      log,
      maxPending: 1,
    })
    const first = b.cardAction(inboundClick())
    t.equal(b.pending, 1)
    t.equal(b.busy(), true, 'at the bound')
    const drained = b.drain(5_000)
    t.same(await b.cardAction(inboundClick()), { outcome: 'failed' }, 'draining: nothing new')
    t.equal(ran, 1, 'the click that came while draining never ran')
    await sleep(5)
    t.equal(b.pending, 1, 'the drain waits for the click in flight')
    release()
    t.same(await drained, { pending: 0 })
    t.same(await first, { outcome: 'handled' })
  },
)

t.test(
  'the click flow as createBot composes it: the same click twice runs once; audited, counted',
  async (t) => {
    const calls: CardActionContext[] = []
    const core = clickCore({
      refresh: async (ctx) => {
        calls.push(ctx)
        return { activeNum: String(calls.length) }
      },
    })
    const click = inboundClick({ id: 'sameClick1', action: 'refresh', userId: 'pressTwice' })
    t.same(await core.bot.cardAction(click), { outcome: 'handled', data: { activeNum: '1' } })
    t.same(
      await core.bot.cardAction({ ...click, receivedAt: 2_000 }),
      { outcome: 'duplicate' },
      'a re-push, or the same button pressed again in the window',
    )
    t.equal(calls.length, 1, 'the handler ran once')
    t.equal(await core.store.get('dedupe-card:sameClick1'), 'done', 'in the click ledger, its own keyspace')
    t.equal(await core.store.get('dedupe:sameClick1'), undefined, 'not in the messages’ ledger')
    const lines = core.capture.find('card action handled').filter((l) => l.clickId === 'sameClick1')
    t.match(lines, [
      {
        outcome: 'handled',
        audit: true,
        outTrackId: click.outTrackId,
        action: 'refresh',
        userId: 'pressTwice',
      },
      { outcome: 'duplicate', audit: true },
    ])
    const other = await core.bot.cardAction(inboundClick({ action: 'refresh', userId: 'pressTwice' }))
    t.equal(other.outcome, 'handled', 'another click (another id) runs')
    const text = await core.metrics.registry.metrics()
    t.match(text, 'meetingbot_card_actions_total{action="refresh",outcome="handled"} 2')
    t.match(text, 'meetingbot_card_actions_total{action="refresh",outcome="duplicate"} 1')
  },
)

t.test('the click window: the same click within 10 s is a duplicate, after it runs again', async (t) => {
  let now = 1_000_000
  let runs = 0
  const core = clickCore({ refresh: async () => void runs++ }, {}, () => now)
  const click = inboundClick({ id: 'windowClick' })
  t.equal((await core.bot.cardAction(click)).outcome, 'handled')
  now += CLICK_WINDOW_MS - 1
  t.equal((await core.bot.cardAction(click)).outcome, 'duplicate', 'within the window')
  now += 2
  t.equal((await core.bot.cardAction(click)).outcome, 'handled', 'a press after the window is a new click')
  t.equal(runs, 2)
  t.equal(CLICK_WINDOW_MS, 10_000)
})

t.test('the click flow: a failed click is forgotten, so the next press runs; unknown: ignored', async (t) => {
  let fail = true
  let runs = 0
  const core = clickCore({
    refresh: async () => {
      runs++
      if (fail) throw new Error('upstream away')
      return { note: 'ok' }
    },
  })
  const click = inboundClick({ id: 'failedClick', action: 'refresh' })
  t.same(await core.bot.cardAction(click), { outcome: 'failed' })
  const failedLine = core.capture.find('card action failed')[0]
  t.match(failedLine, { clickId: 'failedClick', ref: /^[2-9A-HJKMNP-Z]{6}$/ })
  t.match(
    core.capture.find('card action handled').find((l) => l.clickId === 'failedClick'),
    {
      outcome: 'failed',
      ref: failedLine?.ref,
    },
  )
  fail = false
  t.same(
    await core.bot.cardAction(click),
    { outcome: 'handled', data: { note: 'ok' } },
    'pressed again: runs',
  )
  t.equal(runs, 2)
  t.same(await core.bot.cardAction(inboundClick({ action: 'nobody_answers' })), { outcome: 'ignored' })
  t.match(
    await core.metrics.registry.metrics(),
    'meetingbot_card_actions_total{action="other",outcome="ignored"} 1',
  )
})

t.test(
  'the click flow: per person over BOT_USER_RATE_LIMIT a minute: ignored, no data, logged',
  async (t) => {
    let runs = 0
    const core = clickCore(
      {
        refresh: async () => {
          runs++
          return { note: 'fresh' }
        },
      },
      { BOT_USER_RATE_LIMIT: '2' },
    )
    const results = []
    for (let i = 0; i < 4; i++) results.push(await core.bot.cardAction(inboundClick({ userId: 'flooder' })))
    t.same(results, [
      { outcome: 'handled', data: { note: 'fresh' } },
      { outcome: 'handled', data: { note: 'fresh' } },
      { outcome: 'ignored' },
      { outcome: 'ignored' },
    ])
    t.equal(runs, 2)
    t.equal(core.capture.find('card clicks over the rate limit').length, 2)
    t.match(
      core.capture.find('card action handled').filter((l) => l.result === 'rate-limited'),
      [{ outcome: 'ignored', userId: 'flooder' }, { outcome: 'ignored' }],
    )
    t.same(await core.bot.cardAction(inboundClick({ userId: 'someoneElse' })), {
      outcome: 'handled',
      data: { note: 'fresh' },
    })
  },
)
