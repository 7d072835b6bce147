import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { API_NAMES } from '../dingtalk/errors.js'
import { CardPressError, DELIVER_OUTCOMES, type DeliverOutcome, type EmulatorCards } from './cards.js'
import type { EmulatorMeeting } from './meetings.js'
import { memberModel } from './members.js'
import { type Timeline, TimelineError } from './timeline.js'
import type { Fault, RecordedReply } from './types.js'

/** What the control API needs from the emulator it belongs to. */
export interface ControlContext {
  /** Credentials of the emulated app and where the bot listens: for `npm run chat`. */
  info(): Record<string, unknown>
  replies(): readonly RecordedReply[]
  /**
   * Pushes a robot message through the stream gateway; throws when no bot is connected. With
   * `corpId` (ISV mode) the message is re-addressed as from that org (a TimelineError if unknown).
   */
  push(payload: unknown, corpId?: string): string
  /** Plays a fault on the next calls of one API (see `Fault`). */
  fail(target: string, fault: Fault): void
  /** The meetings' clock and their start, end, join, leave. */
  readonly timeline: Timeline
  /**
   * The timeline of one org (ISV mode), or `timeline` without one. Throws a TimelineError for an
   * unknown org; in ISV mode `timeline` throws one (badRequest) for a room code several orgs have.
   */
  timelineFor(corpId: string | undefined): Timeline
  /** EVENT frames on or off. */
  setEvents(enabled: boolean): void
  /** Interactive cards: followed and pressed by the chat. */
  readonly cards: EmulatorCards
}

const TIMELINE_STATUS = { notFound: 404, conflict: 409, badRequest: 400 } as const

/** A meeting as the control API shows it after a change. */
function meetingView(m: EmulatorMeeting) {
  return {
    conferenceId: m.conferenceId,
    roomCode: m.roomCode,
    title: m.title,
    status: m.status,
    startTime: m.startTime,
    ...(m.endTime !== undefined ? { endTime: m.endTime } : {}),
    activeNum: m.activeNum ?? 0,
    attendNum: m.attendNum ?? 0,
    statusSeqNum: m.statusSeqNum ?? 0,
  }
}

interface MemberBody {
  nick?: unknown
  host?: unknown
  external?: unknown
  pstn?: unknown
}

/** What `POST /_emulator/faults` takes as `target`: every API, and the session webhook. */
export const FAULT_TARGETS: readonly string[] = [...API_NAMES, 'webhook']

const MAX_WAIT_MS = 30_000

const PRESS_STATUS = { unknown_card: 400, unknown_action: 400, no_stream: 409, callback_failed: 502 } as const

/**
 * `/_emulator/*`: the emulator's own API for the terminal chat (emulator mode only; it hands out
 * the emulated app's secret, so it only ever listens on loopback). Not a DingTalk API.
 */
export function registerControlRoutes(app: FastifyInstance, ctx: ControlContext): void {
  // ISV mode: `?corpId=` lists that org's meetings only (each meeting names its org).
  app.get<{ Querystring: { corpId?: string } }>('/_emulator/info', async (req) => {
    const info = ctx.info()
    const corpId = req.query.corpId
    if (!corpId || !Array.isArray(info.meetings)) return info
    return { ...info, meetings: info.meetings.filter((m: { corpId?: string }) => m.corpId === corpId) }
  })

  app.post<{ Body: { payload?: unknown; corpId?: unknown } }>(
    '/_emulator/stream/push',
    async (req, reply) => {
      const corpId = req.body?.corpId
      if (
        !req.body ||
        typeof req.body.payload !== 'object' ||
        (corpId !== undefined && typeof corpId !== 'string')
      ) {
        return reply.code(400).send({
          error: 'bad_request',
          message: 'body must be {"payload": <robot message>, "corpId"?: "<org>"}',
        })
      }
      try {
        return { messageId: ctx.push(req.body.payload, corpId) }
      } catch (err) {
        if (err instanceof TimelineError)
          return reply.code(TIMELINE_STATUS[err.kind]).send({ error: err.kind, message: err.message })
        return reply.code(409).send({ error: 'no_stream', message: (err as Error).message })
      }
    },
  )

  // Try what the bot says when DingTalk misbehaves: {"target": "conference.info", "fault": {"status": 500, "times": 3}}.
  app.post<{ Body: { target?: string; fault?: Fault } }>('/_emulator/faults', async (req, reply) => {
    const { target, fault } = req.body ?? {}
    if (!target || !FAULT_TARGETS.includes(target) || !fault || typeof fault !== 'object') {
      return reply.code(400).send({
        error: 'bad_request',
        message: `body must be {"target": one of ${FAULT_TARGETS.join(', ')}, "fault": {...}}`,
      })
    }
    ctx.fail(target, fault)
    return { ok: true }
  })

  // The meetings' time: {"ms": 1800000} lets half an hour pass for the emulated meetings.
  app.post<{ Body: { ms?: unknown } }>('/_emulator/clock/advance', async (req, reply) => {
    const ms = req.body?.ms
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
      return reply
        .code(400)
        .send({ error: 'bad_request', message: 'body must be {"ms": <milliseconds ≥ 0>}' })
    const now = ctx.timeline.clock.advance(ms)
    return { now, offsetMs: ctx.timeline.clock.offsetMs }
  })

  // start | end | join | leave; join and leave name someone: {"nick": "Bob", "external": true}.
  // ISV mode: the org as `corpId` (query or body), needed when several orgs have the room code.
  app.post<{
    Params: { code: string; op: string }
    Querystring: { corpId?: string }
    Body: (MemberBody & { corpId?: unknown }) | undefined
  }>('/_emulator/meetings/:code/:op', async (req, reply) => {
    const { code, op } = req.params
    const body = req.body ?? {}
    const corpId = req.query.corpId ?? body.corpId
    if (corpId !== undefined && typeof corpId !== 'string')
      return reply.code(400).send({ error: 'bad_request', message: 'corpId must be a string' })
    try {
      const timeline = ctx.timelineFor(corpId)
      if (op === 'start') return { meeting: meetingView(timeline.start(code)) }
      if (op === 'end') return { meeting: meetingView(timeline.end(code)) }
      if (op !== 'join' && op !== 'leave')
        return reply.code(404).send({ error: 'not_found', message: 'use start, end, join or leave' })
      if (typeof body.nick !== 'string')
        return reply.code(400).send({ error: 'bad_request', message: 'body must be {"nick": "<name>", ...}' })
      const change =
        op === 'join'
          ? timeline.join(code, body.nick, {
              host: body.host === true,
              external: body.external === true,
              pstn: body.pstn === true,
            })
          : timeline.leave(code, body.nick)
      const now = ctx.timeline.clock.now()
      return {
        meeting: meetingView(change.meeting),
        member: memberModel(change.member, change.meeting.conferenceId, now),
      }
    } catch (err) {
      if (!(err instanceof TimelineError)) throw err
      return reply.code(TIMELINE_STATUS[err.kind]).send({ error: err.kind, message: err.message })
    }
  })

  // {"enabled": false}: DingTalk pushes no meeting events, so the bot must poll.
  app.post<{ Body: { enabled?: unknown } }>('/_emulator/events', async (req, reply) => {
    const enabled = req.body?.enabled
    if (typeof enabled !== 'boolean')
      return reply.code(400).send({ error: 'bad_request', message: 'body must be {"enabled": true|false}' })
    ctx.setEvents(enabled)
    return { enabled }
  })

  // Long poll: the replies recorded for one session webhook (or every session starting with
  // `sessionPrefix`), or sent through the robot OpenAPI to one group (conversationId) or person
  // (userId), since a time or after a reply id, as soon as there is at least one. `last` is the
  // id of the newest reply recorded, for the next `after`.
  app.get<{
    Querystring: {
      session?: string
      sessionPrefix?: string
      conversationId?: string
      userId?: string
      since?: string
      after?: string
      waitMs?: string
    }
  }>('/_emulator/replies', async (req) => {
    const { session, sessionPrefix, conversationId, userId } = req.query
    const since = Number(req.query.since) || 0
    const after = Number(req.query.after) || 0
    const deadline = Date.now() + Math.min(Number(req.query.waitMs) || 0, MAX_WAIT_MS)
    const viaApi = (r: RecordedReply) =>
      r.via === 'openapi' &&
      ((!!conversationId && r.conversationId === conversationId) ||
        (!!userId && !!r.userIds?.includes(userId)))
    const viaWebhook = (r: RecordedReply) =>
      (!!session && r.session === session) || (!!sessionPrefix && !!r.session?.startsWith(sessionPrefix))
    const matching = () =>
      ctx.replies().filter((r) => r.at >= since && r.id > after && (viaWebhook(r) || viaApi(r)))
    let found = matching()
    while (found.length === 0 && Date.now() < deadline) {
      await sleep(25)
      found = matching()
    }
    return { replies: found, last: ctx.replies().at(-1)?.id ?? 0 }
  })
  registerCardControl(app, ctx.cards)
}

/** `/_emulator/cards*`: follow the cards (long poll by version), press their buttons, the deliver knob. */
function registerCardControl(app: FastifyInstance, cards: EmulatorCards): void {
  // The cards changed after a version (all with after=0), optionally in one space; `version` is the
  // newest, for the next `after`. Waits up to waitMs for a change.
  app.get<{ Querystring: { after?: string; waitMs?: string; spaceType?: string; spaceId?: string } }>(
    '/_emulator/cards',
    async (req) => {
      const { spaceType, spaceId } = req.query
      const after = Number(req.query.after) || 0
      const deadline = Date.now() + Math.min(Number(req.query.waitMs) || 0, MAX_WAIT_MS)
      const matching = () =>
        cards
          .changedAfter(after)
          .filter((c) => (!spaceType || c.space.type === spaceType) && (!spaceId || c.space.id === spaceId))
      let found = matching()
      let seen = cards.version
      while (found.length === 0 && Date.now() < deadline && !cards.isClosed) {
        await cards.changed(seen, deadline - Date.now())
        seen = cards.version
        found = matching()
      }
      return { version: cards.version, cards: found }
    },
  )

  // {"outcome": "success-false" | "partial"}: the next createAndDeliver answers 200 without delivering.
  app.post<{ Body: { outcome?: unknown } }>('/_emulator/cards/next-deliver', async (req, reply) => {
    const outcome = req.body?.outcome
    if (!DELIVER_OUTCOMES.includes(outcome as DeliverOutcome))
      return reply.code(400).send({
        error: 'bad_request',
        message: `body must be {"outcome": one of ${DELIVER_OUTCOMES.join(', ')}}`,
      })
    cards.nextDeliver(outcome as DeliverOutcome)
    return { ok: true, outcome }
  })

  // {"action": "refresh", "userId": "user0001"}: a click, answered with the bot's response.
  app.post<{ Params: { outTrackId: string }; Body: { action?: unknown; userId?: unknown } | undefined }>(
    '/_emulator/cards/:outTrackId/press',
    async (req, reply) => {
      const { action, userId } = req.body ?? {}
      if (typeof action !== 'string' || (userId !== undefined && typeof userId !== 'string'))
        return reply.code(400).send({
          error: 'bad_request',
          message: 'body must be {"action": "<action>", "userId"?: "<staff id>"}',
        })
      try {
        return await cards.press(req.params.outTrackId, action, typeof userId === 'string' ? { userId } : {})
      } catch (err) {
        if (!(err instanceof CardPressError)) throw err
        return reply.code(PRESS_STATUS[err.kind]).send({ error: err.kind, message: err.message })
      }
    },
  )
}
