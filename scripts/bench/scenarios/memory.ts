import { join } from 'node:path'
import { type LoadResult, load } from '../lib/load.js'
import { robotMessage } from '../lib/payload.js'
import { startBot } from '../lib/processes.js'
import { type BenchContext, type ScenarioResult, target } from '../lib/report.js'
import { round } from '../lib/stats.js'
import { CACHED_ROOM, CACHED_TITLE } from './http.js'

const MB = 1024 * 1024

/**
 * Scenario 4: a fresh bot process (started with the inspector) answers 1,000 messages, then
 * 99,000 more; after each step the bench forces two full GCs over the inspector protocol and reads
 * `process.memoryUsage()` in the bot. Every message has a new msgId (de-duplication ledger), a new
 * sender (rate-limit counter) and a new conversation (pacing lane): the worst case for every map.
 */
export async function memoryScenario(
  ctx: BenchContext,
  opts: { total?: number; heapSnapshotDir?: string } = {},
): Promise<ScenarioResult> {
  const total = opts.total ?? 100_000
  const snapshots: string[] = []
  const snapshot = async (name: string) => {
    if (!opts.heapSnapshotDir) return
    const file = join(opts.heapSnapshotDir, `meeting-bot-${name}.heapsnapshot`)
    await bot.heapSnapshot(file)
    snapshots.push(file)
    ctx.log(`memory: heap snapshot ${file}`)
  }
  const t0 = performance.now()
  const first = 1000
  const bot = await startBot(ctx.emu.baseUrl, ctx.secret, { inspect: true })
  try {
    const send = (amount: number) =>
      load({
        url: `${bot.url}/dingtalk/callback`,
        connections: 32,
        amount,
        secret: ctx.secret,
        body: () =>
          JSON.stringify(robotMessage({ text: `meeting ${CACHED_ROOM}`, oapiBase: ctx.emu.baseUrl })),
        expect: CACHED_TITLE,
      })
    ctx.log(`memory: ${first} messages`)
    const a: LoadResult = await send(first)
    const m1 = await bot.memory()
    await snapshot('after-1000')
    ctx.log(`memory: ${total - first} more messages`)
    const b: LoadResult = await send(total - first)
    const m2 = await bot.memory()
    await snapshot('after-all')
    const handled = a.requests + b.requests
    const failed = a.non2xx + a.errors + a.unexpected + b.non2xx + b.errors + b.unexpected
    const delta = (k: keyof NodeJS.MemoryUsage) => round((m2[k] - m1[k]) / MB, 1)
    const rssDelta = delta('rss')
    return {
      name: 'memory',
      title: `Memory, ${total.toLocaleString('en-US')} messages on a fresh bot`,
      rows: [
        [
          'RSS after 1,000 → after all',
          `${round(m1.rss / MB, 1)} MB → ${round(m2.rss / MB, 1)} MB (+${rssDelta} MB)`,
        ],
        [
          'heap used after 1,000 → after all',
          `${round(m1.heapUsed / MB, 1)} MB → ${round(m2.heapUsed / MB, 1)} MB (+${delta('heapUsed')} MB)`,
        ],
        [
          'messages answered with the card',
          `${handled.toLocaleString('en-US')} (failed ${failed}), ${Math.round(b.rps)}/s`,
        ],
      ],
      targets: [
        target('memory: RSS growth from 1,000 to 100,000 messages', rssDelta, '<', 50, 'MB'),
        target('memory: messages answered with the card', handled, '==', total),
      ],
      data: {
        messages: total,
        after1000: m1,
        afterAll: m2,
        deltaMB: {
          rss: rssDelta,
          heapUsed: delta('heapUsed'),
          heapTotal: delta('heapTotal'),
          external: delta('external'),
        },
        load: { first: a, rest: b },
        measuredHow:
          'two full GCs over the inspector (HeapProfiler.collectGarbage), then process.memoryUsage() in the bot',
        ...(snapshots.length > 0
          ? {
              heapSnapshots: snapshots,
              note: 'taking a snapshot grows the RSS: these RSS figures are not comparable',
            }
          : {}),
      },
      seconds: round((performance.now() - t0) / 1000, 1),
    }
  } finally {
    await bot.stop()
  }
}
