/**
 * `npm run bench`: the real service (built `dist/main.js`, real mode) against the DingTalk emulator
 * on loopback, and in the same run the baselines; prints a table, writes JSON, exits 1 when a
 * target is missed. See docs/benchmarks.md.
 *
 *   npm run bench                         everything (~4 to 5 minutes)
 *   npm run bench -- --only http,stream   some scenarios (http, stream, fanout, memory, slow-upstream, burst, watches, livecards, isv)
 *   npm run bench -- --out path.json      where the JSON goes (default bench/results/latest.json)
 *   npm run bench -- --only memory --heap-snapshots
 *                                         also writes two heap snapshots of the bot to the temp dir
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { buildIsStale, machine, revision } from './lib/machine.js'
import { newSecret } from './lib/payload.js'
import { type BotProcess, EmulatorProcess, ROOT, startBot } from './lib/processes.js'
import type { BenchContext, ScenarioResult } from './lib/report.js'
import { burstScenario } from './scenarios/burst.js'
import { fanoutScenario } from './scenarios/fanout.js'
import { httpScenario } from './scenarios/http.js'
import { isvScenario } from './scenarios/isv.js'
import { liveCardsScenario } from './scenarios/livecards.js'
import { memoryScenario } from './scenarios/memory.js'
import { slowUpstreamScenario } from './scenarios/slow-upstream.js'
import { streamScenario } from './scenarios/stream.js'
import { watchesScenario } from './scenarios/watches.js'

const SCENARIOS = [
  'http',
  'stream',
  'slow-upstream',
  'fanout',
  'memory',
  'burst',
  'watches',
  'livecards',
  'isv',
] as const
type Name = (typeof SCENARIOS)[number]

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench/results/latest.json') },
    'heap-snapshots': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})
if (values.help) {
  process.stdout.write(
    `usage: npm run bench [-- --only ${SCENARIOS.join(',')}] [--out file.json] [--heap-snapshots]\n`,
  )
  process.exit(0)
}
const only = values.only?.split(',').map((s) => s.trim())
const bad = only?.filter((s) => !(SCENARIOS as readonly string[]).includes(s)) ?? []
if (bad.length > 0) {
  process.stderr.write(`bench: unknown scenario ${bad.join(', ')}; known: ${SCENARIOS.join(', ')}\n`)
  process.exit(2)
}
const wanted = (n: Name) => !only || only.includes(n)

const log = (line: string) => process.stderr.write(`  · ${line}\n`)

function table(results: ScenarioResult[]): string {
  const out: string[] = []
  const width = Math.max(...results.flatMap((r) => r.rows.map(([k]) => k.length)), 10)
  for (const r of results) {
    out.push('', `${r.title}  (${r.seconds} s)`)
    for (const [k, v] of r.rows) out.push(`  ${k.padEnd(width)}  ${v}`)
  }
  out.push('', 'Targets')
  const targets = results.flatMap((r) => r.targets)
  const tw = Math.max(...targets.map((t) => t.name.length))
  for (const t of targets) {
    const value = Number.isInteger(t.value) ? String(t.value) : t.value.toFixed(3)
    out.push(
      `  ${t.pass ? 'PASS' : 'FAIL'}  ${t.name.padEnd(tw)}  ${value}${t.unit} ${t.op} ${t.limit}${t.unit}`,
    )
  }
  return `${out.join('\n')}\n`
}

async function main(): Promise<number> {
  const started = performance.now()
  const m = machine()
  const rev = revision()
  const command =
    process.env.npm_lifecycle_event === 'bench'
      ? ['npm run bench', ...process.argv.slice(2)].join(' ')
      : ['node --import tsx', relative(ROOT, process.argv[1] ?? ''), ...process.argv.slice(2)].join(' ')
  process.stderr.write(
    `meeting-bot bench: ${m.cpu}, ${m.cores} cores, Node ${m.node}, load ${m.loadAverage1m}; ${rev.commit}${rev.dirty ? ' (uncommitted changes)' : ''}\n`,
  )
  if (buildIsStale()) {
    process.stderr.write(
      'bench: dist/ is older than src/; run `npm run build` (npm run bench does it first)\n',
    )
  }
  const secret = newSecret()
  const emu = await EmulatorProcess.start(secret)
  const ctx: BenchContext = { emu, secret, log }
  const results: ScenarioResult[] = []
  let bot: BotProcess | undefined
  try {
    if (wanted('http') || wanted('stream') || wanted('slow-upstream')) {
      bot = await startBot(emu.baseUrl, secret)
      if (wanted('http')) results.push(await httpScenario(ctx, bot))
      if (wanted('stream')) results.push(await streamScenario(ctx, bot, { burstToo: true }))
      if (wanted('slow-upstream')) results.push(await slowUpstreamScenario(ctx, bot))
      await bot.stop()
      bot = undefined
    }
    if (wanted('fanout')) results.push(await fanoutScenario(ctx))
    if (wanted('memory')) {
      const heapSnapshotDir = values['heap-snapshots']
        ? mkdtempSync(join(tmpdir(), 'meeting-bot-heap-'))
        : undefined
      results.push(await memoryScenario(ctx, heapSnapshotDir ? { heapSnapshotDir } : {}))
    }
    if (wanted('burst')) results.push(await burstScenario(ctx))
    if (wanted('watches')) results.push(await watchesScenario(ctx))
    if (wanted('livecards')) results.push(await liveCardsScenario(ctx))
    if (wanted('isv')) results.push(await isvScenario(ctx))
  } finally {
    await bot?.stop()
    await emu.stop()
  }
  const text = table(results)
  process.stdout.write(text)
  const failed = results.flatMap((r) => r.targets).filter((t) => !t.pass)
  const seconds = Math.round((performance.now() - started) / 100) / 10
  const report = {
    at: new Date().toISOString(),
    command,
    argv: process.argv.slice(2),
    machine: { ...m, loadAverage1mAtEnd: machine().loadAverage1m },
    revision: rev,
    seconds,
    pass: failed.length === 0,
    failed: failed.map((t) => t.name),
    scenarios: Object.fromEntries(results.map((r) => [r.name, r])),
  }
  const out = values.out as string
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`)
  // A copy per run (git ignores it) so several runs can be compared.
  const stamped = join(dirname(out), `run-${report.at.replace(/[:.]/g, '-')}.json`)
  writeFileSync(stamped, `${JSON.stringify(report, null, 2)}\n`)
  process.stdout.write(
    `\n${failed.length === 0 ? 'all targets met' : `${failed.length} target(s) missed`} in ${seconds} s; JSON: ${relative(ROOT, out)}\n`,
  )
  return failed.length === 0 ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`)
    process.exit(2)
  },
)
