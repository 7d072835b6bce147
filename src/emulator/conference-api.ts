import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ApiName } from '../dingtalk/errors.js'
import type { ApiAccess } from './isv.js'
import type { EmulatorMeeting } from './meetings.js'
import { memberModel } from './members.js'

/** What the conference routes need of the emulator around them. */
export interface ConferenceApiHost {
  /** Counts the call and plays the next fault, if any; true when a fault answered. */
  intercept(api: ApiName, reply: FastifyReply): Promise<boolean>
  /** Whose meetings the request's token opens; undefined once it answered 400. */
  access(req: FastifyRequest, reply: FastifyReply): ApiAccess | undefined
  errorBody(code: string): unknown
  now(): number
}

/**
 * DingTalk's video-conference OpenAPI as the bot calls it (platform notes, conference APIs and
 * members): the conferences of a room code (paged), one conference, its members (paged). Each
 * sees only the meetings its token opens (the app's, or in ISV mode its org's).
 */
export function registerConferenceApi(app: FastifyInstance, host: ConferenceApiHost): void {
  /**
   * The conference the request names, when the call gets that far; otherwise it was answered
   * (a fault, a bad token, 404 for an unknown id, 403 for a forbidden one) and this is undefined.
   */
  const conference = async (
    api: ApiName,
    req: FastifyRequest<{ Params: { id: string } }>,
    reply: FastifyReply,
  ): Promise<EmulatorMeeting | undefined> => {
    if (await host.intercept(api, reply)) return undefined
    const scope = host.access(req, reply)
    if (!scope) return undefined
    const m = scope.meetings.find((x) => x.conferenceId === req.params.id)
    if (!m) void reply.code(404).send(host.errorBody('roomNotFound'))
    else if (m.forbidden) void reply.code(403).send(host.errorBody('noPermission'))
    else return m
    return undefined
  }

  app.get<{ Params: { code: string }; Querystring: { maxResults?: string; nextToken?: string } }>(
    '/v1.0/conference/roomCodes/:code/infos',
    async (req, reply) => {
      if (await host.intercept('conference.byRoomCode', reply)) return reply
      const scope = host.access(req, reply)
      if (!scope) return reply
      if (!/^\d+$/.test(req.params.code)) return reply.code(400).send(host.errorBody('invalidRoomCode'))
      const all = scope.meetings.filter((m) => m.roomCode === req.params.code)
      if (all.some((m) => m.forbidden)) return reply.code(403).send(host.errorBody('noPermission'))
      const size = Math.max(1, Math.min(Number(req.query.maxResults) || 20, 50))
      const offset = Number(req.query.nextToken) || 0
      const page = all.slice(offset, offset + size)
      const hasMore = offset + size < all.length
      return {
        conferenceList: page.map(summary),
        hasMore,
        ...(hasMore ? { nextToken: String(offset + size) } : {}),
        totalCount: all.length,
      }
    },
  )

  app.get<{ Params: { id: string } }>('/v1.0/conference/videoConferences/:id', async (req, reply) => {
    const m = await conference('conference.info', req, reply)
    if (!m) return reply
    const { forbidden: _f, ...info } = m
    return {
      confInfo: {
        ...info,
        activeNum: m.activeNum ?? 0,
        attendNum: m.attendNum ?? 0,
        invitedNum: m.invitedNum ?? 0,
        ...(m.status === 1 && m.endTime !== undefined ? { confDuration: m.endTime - m.startTime } : {}),
      },
    }
  })

  // Paged like DingTalk: 128 a page by default, the first page without nextToken or with "0",
  // and "0" once there is no further page (as in fixtures/conference-members.json).
  app.get<{ Params: { id: string }; Querystring: { maxResults?: string; nextToken?: string } }>(
    '/v1.0/conference/videoConferences/:id/members',
    async (req, reply) => {
      const m = await conference('conference.members', req, reply)
      if (!m) return reply
      const all = m.members ?? []
      const size = Math.max(1, Math.min(Number(req.query.maxResults) || 128, 300))
      const offset = Math.max(0, Math.floor(Number(req.query.nextToken) || 0))
      const more = offset + size < all.length
      const now = host.now()
      return {
        memberModels: all.slice(offset, offset + size).map((x) => memberModel(x, m.conferenceId, now)),
        nextToken: more ? String(offset + size) : '0',
        totalCount: all.length,
      }
    },
  )
}

function summary(m: EmulatorMeeting) {
  return {
    conferenceId: m.conferenceId,
    title: m.title,
    roomCode: m.roomCode,
    status: m.status,
    startTime: m.startTime,
    ...(m.endTime !== undefined ? { endTime: m.endTime, confDuration: m.endTime - m.startTime } : {}),
    creatorId: m.creatorId ?? 'union0',
    creatorNick: m.creatorNick,
    ...(m.externalLinkUrl ? { externalLinkUrl: m.externalLinkUrl } : {}),
    bizType: m.bizType ?? '0',
    ...(m.scheduleConferenceId ? { scheduleConferenceId: m.scheduleConferenceId } : {}),
  }
}
