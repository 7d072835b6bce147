import { type ChatSource, MessageContext } from '../../../src/core/context.js'
import type { InboundEvent } from '../../../src/core/event.js'
import { EventFlowContext } from '../../../src/core/event-context.js'
import type { InboundMessage, Reply, ReplySink } from '../../../src/core/message.js'
import type { ChatSettings } from '../../../src/core/settings.js'
import type { RobotMessagePayload } from '../../../src/dingtalk/robot-message.js'
import { toInboundMessage } from '../../../src/dingtalk/robot-message.js'
import { captureLogger, type LogCapture, robotMessage } from '../../helpers/index.js'

/** A message as a transport hands it to the core (a group chat unless told otherwise). */
export function inbound(over: Partial<RobotMessagePayload> & { text?: string } = {}): InboundMessage {
  return toInboundMessage(robotMessage(over), 'http', 1_000)
}

/** A chat whose settings are `settings`, defaults zh-CN / Asia/Shanghai. */
export function chatSource(settings: ChatSettings = {}): ChatSource {
  return { defaults: { locale: 'zh-CN', timeZone: 'Asia/Shanghai' }, get: async () => settings }
}

/** A real MessageContext on a fake chat source, with its log captured. */
export function fakeContext(
  over: { msg?: InboundMessage; settings?: ChatSettings; sink?: ReplySink; text?: string } = {},
): { ctx: MessageContext; capture: LogCapture } {
  const { log, capture } = captureLogger()
  const ctx = new MessageContext(over.msg ?? inbound(), over.sink, log, 1_000, chatSource(over.settings))
  if (over.text !== undefined) ctx.text = over.text
  return { ctx, capture }
}

/** The text a reply shows. */
export function textOf(reply: Reply | undefined): string {
  if (!reply) return ''
  if (reply.msgtype === 'text') return reply.text.content
  if (reply.msgtype === 'markdown') return reply.markdown.text
  return reply.actionCard.text
}

/** A `next` that records that it ran (and can do something). */
export function nextStep(run: () => void | Promise<void> = () => {}) {
  const calls = { n: 0 }
  const next = async () => {
    calls.n++
    await run()
  }
  return { next, calls }
}

/** Counts what a flow observer is told. */
export function observer() {
  const seen = {
    handled: [] as unknown[],
    events: [] as unknown[],
    duplicates: 0,
    rateLimited: [] as string[],
  }
  return {
    seen,
    handled: (_ctx: unknown, report: unknown) => void seen.handled.push(report),
    event: (_ctx: unknown, report: unknown) => void seen.events.push(report),
    duplicate: () => void seen.duplicates++,
    rateLimited: (_ctx: unknown, action: string) => void seen.rateLimited.push(action),
  }
}

let eventSeq = 0
/** A platform event as the Stream transport hands it to the core. */
export function inboundEvent(over: Partial<InboundEvent> = {}): InboundEvent {
  eventSeq++
  return {
    id: `evtTest${process.pid}x${eventSeq}`,
    type: 'meeting_status_change',
    corpId: 'dingcorpTest',
    bornAt: 900,
    receivedAt: 1_000,
    transport: 'stream',
    data: { statusSeqNum: 1 },
    ...over,
  }
}

/** A real EventFlowContext with its log captured. */
export function fakeEventContext(event: InboundEvent = inboundEvent()): {
  ctx: EventFlowContext
  capture: LogCapture
} {
  const { log, capture } = captureLogger()
  return { ctx: new EventFlowContext(event, log, 1_000), capture }
}
