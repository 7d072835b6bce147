import { createBot as createCore, createInbox, PIPELINE_KEYSPACES } from '../../../src/app/pipeline.js'
import { DEFAULT_TUNING } from '../../../src/app/tuning.js'
import { loadConfig } from '../../../src/config.js'
import type { CardActionHandler, InboundCardAction } from '../../../src/core/card-action.js'
import { CardActionFlowContext, cardActionLog } from '../../../src/core/card-action-context.js'
import { assemble } from '../../../src/core/feature.js'
import { ChatSettingsStore, settingsKeyspace } from '../../../src/core/settings.js'
import { Metrics } from '../../../src/ops/metrics.js'
import { Stats } from '../../../src/ops/stats.js'
import { MemoryStore } from '../../../src/store/memory.js'
import { CLIENT_ID, captureLogger, type LogCapture, SECRET } from '../../helpers/index.js'

let clickSeq = 0
/** A click as a transport hands it to the core (a fresh id each time unless told otherwise). */
export function inboundClick(over: Partial<InboundCardAction> = {}): InboundCardAction {
  clickSeq++
  return {
    id: `clickTest${process.pid}x${clickSeq}`,
    transport: 'stream',
    receivedAt: 1_000,
    outTrackId: 'mtg-test-card-1',
    corpId: 'dingcorpTest',
    userId: 'manager4821',
    action: 'refresh',
    params: { action: 'refresh' },
    ...over,
  }
}

/** A real CardActionFlowContext, its logger built as the Bot builds it, its log captured. */
export function fakeCardContext(action: InboundCardAction = inboundClick()): {
  ctx: CardActionFlowContext
  capture: LogCapture
} {
  const { log, capture } = captureLogger()
  return { ctx: new CardActionFlowContext(action, cardActionLog(log, action), 1_000), capture }
}

/**
 * The core exactly as `createBot` composes it (app/pipeline.ts), with one test feature answering
 * `actions`, on a memory store holding the pipeline's declarations (an undeclared key is refused).
 * Nothing is delivered: clicks never reach the deliverer.
 */
export function clickCore(
  actions: Record<string, CardActionHandler>,
  env: Record<string, string> = {},
  /** The store's clock: a test moves it past the click window. */
  storeClock?: () => number,
) {
  const { log, capture } = captureLogger()
  const config = loadConfig({
    DINGTALK_CLIENT_ID: CLIENT_ID,
    DINGTALK_CLIENT_SECRET: SECRET,
    DINGTALK_TRANSPORTS: 'http',
    BOT_USER_RATE_LIMIT: '10000',
    ...env,
  })
  const store = new MemoryStore(storeClock ? { clock: storeClock } : {})
  store.declare([settingsKeyspace, ...PIPELINE_KEYSPACES])
  const clock = Date.now
  const tuning = DEFAULT_TUNING
  const metrics = new Metrics()
  const stats = new Stats(metrics)
  const core = createCore({
    config,
    log,
    clock,
    store,
    tuning,
    features: assemble([{ name: 'test-cards', cardActions: actions }]),
    settings: new ChatSettingsStore(store, { locale: 'en', timeZone: 'Asia/Shanghai' }),
    delivery: {
      deliver: async () => {
        throw new Error('a click delivers nothing')
      },
    },
    observer: stats,
    inbox: createInbox({ config, log, clock, store, tuning }),
  })
  return { ...core, store, metrics, stats, capture }
}

/** The body of a card click (platform notes §10), as Stream's `data` object and the HTTP body. */
export function clickBody(
  over: { outTrackId?: string; userId?: string; action?: string; extra?: Record<string, unknown> } = {},
) {
  const action = over.action ?? 'refresh'
  return {
    type: 'actionCallback',
    outTrackId: over.outTrackId ?? 'mtg-7e2d4b6a-cidK3nV8-1764724200',
    corpId: 'dingcorp5e8a1f2b',
    userId: over.userId ?? 'manager4821',
    content: JSON.stringify({ cardPrivateData: { actionIds: [action], params: { action, ...over.extra } } }),
    spaceType: 'IM_GROUP',
    spaceId: 'cidK3nV8pQ2xYwLmZ5tR9aB1cD==',
    userIdType: 1,
  }
}
