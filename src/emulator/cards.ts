import type { FastifyInstance, FastifyReply } from 'fastify'
import {
  type CallbackPort,
  CardPressError,
  type CardPressOptions,
  type PressResult,
  pressCard,
} from './card-callback.js'
import { EMULATED_USERS, isUnionId } from './messages.js'
import type { CardInstance, CardUpdate } from './types.js'

export {
  CARD_CALLBACK_TOPIC,
  CardPressError,
  type CardPressOptions,
  type PressResult,
} from './card-callback.js'
export type { CardCallbackType, CardClick, CardInstance, CardSpaceType, CardUpdate } from './types.js'

/** DingTalk's limits on cardParamMap (platform notes §10). */
const MAX_KEY_BYTES = 100
const MAX_VALUE_BYTES = 1024

/** "200 but not delivered", as DingTalk answers when a robot is not in the group (platform notes §10). */
export type DeliverOutcome = 'success-false' | 'partial'
export const DELIVER_OUTCOMES: readonly DeliverOutcome[] = ['success-false', 'partial']

/** A DingTalk error body's code and message, for a 400. */
export class CardProblem {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}

/**
 * The emulator's interactive cards: the instances `createAndDeliver` made, their updates and the
 * buttons pressed on them. `version` counts every change, so a follower asks for what changed
 * after the version it saw (`changedAfter`, `waitForChange`).
 */
export class EmulatorCards {
  readonly instances = new Map<string, CardInstance>()
  /** Where HTTP-callback cards' clicks are POSTed (the bot's `/dingtalk/card-callback`). */
  callbackUrl: string | undefined
  version = 0
  private readonly outcomes: DeliverOutcome[] = []
  private waiters: Array<() => void> = []
  private closed = false

  constructor(private readonly port: CallbackPort & { defaultCallbackUrl?: () => string | undefined }) {}

  get(outTrackId: string): CardInstance | undefined {
    return this.instances.get(outTrackId)
  }

  list(): CardInstance[] {
    return [...this.instances.values()]
  }

  updatesOf(outTrackId: string): readonly CardUpdate[] {
    return this.instances.get(outTrackId)?.updates ?? []
  }

  /** The instances changed (created, updated, clicked) after `version`, oldest change first. */
  changedAfter(version: number): CardInstance[] {
    return this.list()
      .filter((c) => c.version > version)
      .sort((a, b) => a.version - b.version)
  }

  /** The next `createAndDeliver` answers 200 without delivering (one call per outcome queued). */
  nextDeliver(outcome: DeliverOutcome): void {
    this.outcomes.push(outcome)
  }

  clearNextDeliver(): void {
    this.outcomes.length = 0
  }

  /** Resolves with the version once it is past `after` (default: now); rejects after `timeoutMs`. */
  async waitForChange(after = this.version, timeoutMs = 5000): Promise<number> {
    if (!(await this.changed(after, timeoutMs)))
      throw new Error(`no card change after version ${after} within ${timeoutMs} ms`)
    return this.version
  }

  /** Polls `probe` on every change until it returns something truthy, e.g. a card in some state. */
  async waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 5000, what = 'card'): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = probe()
      if (found) return found
      const left = deadline - Date.now()
      if (left <= 0 || this.closed) throw new Error(`${what} not reached within ${timeoutMs} ms`)
      await this.changed(this.version, left)
    }
  }

  /**
   * Whether the version went past `after` within `timeoutMs` (no throw: long polls use it). Answers
   * at once after `close()`, so no long poll keeps a closed emulator's process alive.
   */
  changed(after: number, timeoutMs: number): Promise<boolean> {
    if (this.version > after || this.closed) return Promise.resolve(this.version > after)
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer)
        this.waiters = this.waiters.filter((w) => w !== check)
        resolve(this.version > after)
      }
      const check = () => {
        if (this.version > after || this.closed) finish()
      }
      const timer = setTimeout(finish, timeoutMs)
      this.waiters.push(check)
    })
  }

  /** Whether `close()` ended the waits. */
  get isClosed(): boolean {
    return this.closed
  }

  /** Ends every wait (the emulator closes). */
  close(): void {
    this.closed = true
    for (const check of [...this.waiters]) check()
  }

  /**
   * Presses a button of a card as a user would: a CALLBACK frame on the card topic over Stream (its
   * ack answers; re-pushed by the gateway when not acked in time) or a signed POST to `callbackUrl`.
   * The answer's `cardData.cardParamMap` is applied by key, as DingTalk does, and the click recorded.
   */
  async press(outTrackId: string, action: string, opts: CardPressOptions = {}): Promise<PressResult> {
    const card = this.instances.get(outTrackId)
    if (!card) throw new CardPressError('unknown_card', `no card with outTrackId ${outTrackId}`)
    const buttons = cardActions(card)
    if (!buttons.includes(action)) {
      const hint = action === 'join' ? 'Join is a link, it sends no callback; ' : ''
      throw new CardPressError(
        'unknown_action',
        `${hint}the card's buttons send ${buttons.join(', ')}, not "${action}"`,
      )
    }
    const userId = opts.userId ?? EMULATED_USERS.user.staffId
    const url = this.callbackUrl ?? this.port.defaultCallbackUrl?.()
    const at = Date.now()
    try {
      const result = await pressCard(this.port, card, action, { ...opts, userId }, url)
      const map = cardParamMapOf(result.response)
      if (map) this.change(card, { at: Date.now(), data: map, by: 'callback', byKey: true })
      card.clicks.push({ at, action, userId, via: result.via, ms: result.ms, response: result.response })
      this.bump(card)
      return result
    } catch (err) {
      const error = (err as Error).message
      card.clicks.push({
        at,
        action,
        userId,
        via: viaOf(card),
        ms: Date.now() - at,
        response: undefined,
        error,
      })
      this.bump(card)
      if (err instanceof CardPressError) throw err
      throw new CardPressError('callback_failed', error)
    }
  }

  /**
   * `POST /v1.0/card/instances/createAndDeliver`: the 200 body, or the problem for a 400. With
   * `corpId` (ISV mode: the org token's) the card is that org's and must address people by unionId.
   */
  create(
    body: unknown,
    robotCode: string,
    corpId?: string,
  ): { ok: Record<string, unknown> } | { problem: CardProblem } {
    const b = (body ?? {}) as Record<string, unknown>
    const parsed = parseCreate(b, robotCode)
    if (parsed instanceof CardProblem) return { problem: parsed }
    const people = corpId ? unionIdProblem(b, parsed) : undefined
    if (people) return { problem: people }
    if (this.instances.has(parsed.outTrackId))
      return {
        problem: new CardProblem('param.duplicateOutTrackId', `outTrackId ${parsed.outTrackId} exists`),
      }
    const { type: spaceType, id: spaceId } = parsed.space
    const outcome = this.outcomes.shift()
    // Not delivered: the card reaches no chat, so nothing is stored (the same outTrackId may be retried).
    if (outcome === 'success-false') return { ok: { success: false, result: { deliverResults: [] } } }
    if (outcome === 'partial')
      return {
        ok: {
          success: true,
          result: {
            outTrackId: parsed.outTrackId,
            deliverResults: [{ spaceType, spaceId, success: false, errorMsg: 'robot not in group' }],
          },
        },
      }
    const card: CardInstance = {
      ...parsed,
      ...(corpId ? { corpId } : {}),
      createdAt: Date.now(),
      version: 0,
      updates: [],
      clicks: [],
    }
    this.instances.set(card.outTrackId, card)
    this.bump(card)
    const carrierId = `proc${Math.random().toString(36).slice(2, 10)}`
    return {
      ok: {
        success: true,
        result: {
          outTrackId: card.outTrackId,
          deliverResults: [{ spaceType, spaceId, success: true, carrierId }],
        },
      },
    }
  }

  /**
   * `PUT /v1.0/card/instances`: by key with `updateCardDataByKey: true`, otherwise replaced whole.
   * With `corpId` (ISV mode) another org's card does not exist.
   */
  update(body: unknown, corpId?: string): { ok: Record<string, unknown> } | { problem: CardProblem } {
    const b = (body ?? {}) as Record<string, unknown>
    if (typeof b.outTrackId !== 'string' || !b.outTrackId)
      return { problem: new CardProblem('param.invalid', 'outTrackId is required') }
    const map = paramMap(b.cardData)
    if (map instanceof CardProblem) return { problem: map }
    const card = this.instances.get(b.outTrackId)
    if (!card || card.corpId !== corpId)
      return { problem: new CardProblem('param.cardNotExist', 'card not exist') }
    const options = (b.cardUpdateOptions ?? {}) as Record<string, unknown>
    this.change(card, { at: Date.now(), data: map, by: 'api', byKey: options.updateCardDataByKey === true })
    this.bump(card)
    return { ok: { success: true, result: true } }
  }

  private change(card: CardInstance, update: CardUpdate): void {
    card.data = update.byKey ? { ...card.data, ...update.data } : { ...update.data }
    card.updates.push(update)
  }

  private bump(card: CardInstance): void {
    card.version = ++this.version
    for (const check of [...this.waiters]) check()
  }
}

/** The callback params the card's buttons send (contract of issue 14): Join is a link, no callback. */
export function cardActions(card: CardInstance): string[] {
  return ['refresh', 'members', card.data.watchAction || 'watch']
}

function viaOf(card: CardInstance): 'stream' | 'http' {
  return card.callbackType === 'STREAM' ? 'stream' : 'http'
}

/** The string values of a callback answer's `cardData.cardParamMap`, if it has any. */
function cardParamMapOf(response: unknown): Record<string, string> | undefined {
  const map = (response as { cardData?: { cardParamMap?: unknown } } | undefined)?.cardData?.cardParamMap
  if (!map || typeof map !== 'object') return undefined
  const strings = Object.entries(map).filter((e): e is [string, string] => typeof e[1] === 'string')
  return strings.length > 0 ? Object.fromEntries(strings) : undefined
}

/** `cardData.cardParamMap`, every value a string within DingTalk's sizes. */
function paramMap(cardData: unknown): Record<string, string> | CardProblem {
  const map = (cardData as { cardParamMap?: unknown } | undefined)?.cardParamMap
  if (!map || typeof map !== 'object' || Array.isArray(map))
    return new CardProblem('param.invalid', 'cardData.cardParamMap must be an object')
  for (const [k, v] of Object.entries(map)) {
    if (typeof v !== 'string')
      return new CardProblem('param.invalid', `cardParamMap.${k} must be a string, not ${typeof v}`)
    if (Buffer.byteLength(k) > MAX_KEY_BYTES)
      return new CardProblem('param.invalid', `cardParamMap key ${k.slice(0, 20)}… is over 100 bytes`)
    if (Buffer.byteLength(v) > MAX_VALUE_BYTES)
      return new CardProblem(
        'param.invalid',
        `cardParamMap.${k} is ${Buffer.byteLength(v)} bytes; at most ${MAX_VALUE_BYTES}`,
      )
  }
  return map as Record<string, string>
}

const SPACE = /^dtv1\.card\/\/(IM_GROUP|IM_ROBOT)\.(.+)$/

type Created = Omit<CardInstance, 'createdAt' | 'version' | 'updates' | 'clicks'>

function parseCreate(b: Record<string, unknown>, robotCode: string): Created | CardProblem {
  const bad = (message: string): CardProblem => new CardProblem('param.invalid', message)
  if (typeof b.cardTemplateId !== 'string' || !b.cardTemplateId) return bad('cardTemplateId is required')
  if (typeof b.outTrackId !== 'string' || !b.outTrackId) return bad('outTrackId is required')
  if (b.callbackType !== 'STREAM' && b.callbackType !== 'HTTP')
    return bad('callbackType must be STREAM or HTTP')
  if (b.callbackRouteKey !== undefined && typeof b.callbackRouteKey !== 'string')
    return bad('callbackRouteKey must be a string')
  const data = paramMap(b.cardData)
  if (data instanceof CardProblem) return data
  const space = SPACE.exec(typeof b.openSpaceId === 'string' ? b.openSpaceId : '')
  if (!space) return bad('openSpaceId must be dtv1.card//IM_GROUP.{conversationId} or IM_ROBOT.{userId}')
  const type = space[1] as CardInstance['space']['type']
  const group = type === 'IM_GROUP'
  const deliver = (group ? b.imGroupOpenDeliverModel : b.imRobotOpenDeliverModel) as
    | Record<string, unknown>
    | undefined
  const model = group ? 'imGroupOpenDeliverModel' : 'imRobotOpenDeliverModel'
  if (!deliver || typeof deliver !== 'object') return bad(`${model} is required for ${type}`)
  if (deliver.robotCode !== robotCode) return bad(`${model}.robotCode is not this app's robot`)
  if (!group && deliver.spaceType !== 'IM_ROBOT') return bad(`${model}.spaceType must be IM_ROBOT`)
  const atUserIds = group ? deliver.atUserIds : undefined
  if (atUserIds !== undefined && (typeof atUserIds !== 'object' || atUserIds === null))
    return bad(`${model}.atUserIds must be {staffId: nick}`)
  return {
    outTrackId: b.outTrackId,
    templateId: b.cardTemplateId,
    space: { type, id: space[2] as string },
    robotCode,
    callbackType: b.callbackType,
    ...(typeof b.callbackRouteKey === 'string' ? { callbackRouteKey: b.callbackRouteKey } : {}),
    ...(atUserIds ? { atUserIds: atUserIds as Record<string, string> } : {}),
    data: { ...data },
  }
}

/**
 * ISV cards (platform notes §11) say `userIdType: 2`: the IM_ROBOT space id and the keys of
 * `atUserIds` are then unionIds, not staff ids. The problem naming the field, if any.
 */
function unionIdProblem(b: Record<string, unknown>, card: Created): CardProblem | undefined {
  if (b.userIdType !== 2)
    return new CardProblem('param.invalid', 'userIdType must be 2 (unionId) for a third-party app')
  if (card.space.type === 'IM_ROBOT' && !isUnionId(card.space.id))
    return new CardProblem(
      'param.invalid',
      `openSpaceId IM_ROBOT.${card.space.id} is not a unionId (userIdType 2)`,
    )
  const bad = Object.keys(card.atUserIds ?? {}).find((id) => !isUnionId(id))
  if (bad !== undefined)
    return new CardProblem(
      'param.invalid',
      `imGroupOpenDeliverModel.atUserIds key ${bad} is not a unionId (userIdType 2)`,
    )
  return undefined
}

/** Whose card it is: the robot code its token may send as and, in ISV mode, the org. */
export interface CardAccess {
  readonly robotCode: string
  readonly corpId?: string
}

export interface CardRouteDeps {
  intercept(target: 'card.deliver' | 'card.update', reply: FastifyReply): Promise<boolean>
  /** Undefined (having answered InvalidAuthentication) for a token that opens nothing. */
  access(token: unknown, reply: FastifyReply): CardAccess | undefined
  errorBody(code: string, message?: string): Record<string, unknown>
}

/** The card OpenAPIs: token checked and faults played like every other route. */
export function registerCardRoutes(app: FastifyInstance, cards: EmulatorCards, deps: CardRouteDeps): void {
  const answer = (reply: FastifyReply, r: { ok: Record<string, unknown> } | { problem: CardProblem }) =>
    'ok' in r ? r.ok : reply.code(400).send(deps.errorBody(r.problem.code, r.problem.message))
  app.post('/v1.0/card/instances/createAndDeliver', async (req, reply) => {
    if (await deps.intercept('card.deliver', reply)) return reply
    const access = deps.access(req.headers['x-acs-dingtalk-access-token'], reply)
    if (!access) return reply
    return answer(reply, cards.create(req.body, access.robotCode, access.corpId))
  })
  app.put('/v1.0/card/instances', async (req, reply) => {
    if (await deps.intercept('card.update', reply)) return reply
    const access = deps.access(req.headers['x-acs-dingtalk-access-token'], reply)
    if (!access) return reply
    return answer(reply, cards.update(req.body, access.corpId))
  })
}
