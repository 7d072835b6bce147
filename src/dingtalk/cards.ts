import type { DingTalkApi } from './api.js'

/** Where a card goes: a group by its conversation, a one-to-one chat by the person's staff id. */
export interface CardSpace {
  readonly type: 'group' | 'single'
  readonly conversationId: string
  /** The person of a one-to-one chat; in a group, the asker the card @-mentions (may be empty). */
  readonly staffId: string
  /** The same person's unionId: a third-party app's cards address people by it (`userIdType` 2). */
  readonly unionId?: string
  readonly nick?: string
}

export interface CardDelivery {
  readonly templateId: string
  /** Our own id of the card instance: updates and clicks name it. */
  readonly outTrackId: string
  readonly space: CardSpace
  /** Every value a string (DingTalk refuses anything else with `param.*`). */
  readonly data: Readonly<Record<string, string>>
  /** STREAM when the bot holds a Stream connection, else HTTP (to `/dingtalk/card-callback`). */
  readonly callbackType: 'STREAM' | 'HTTP'
  /** With HTTP: the key registered for our callback URL. */
  readonly callbackRouteKey?: string
}

/**
 * A card that did not reach the chat although the call may have returned 200: `success: false`,
 * or a `deliverResults` entry that failed (the robot is not in the group...). `detail` is
 * DingTalk's `errorMsg`, never a secret.
 */
export class CardNotDeliveredError extends Error {
  constructor(readonly detail: string) {
    super(`card not delivered: ${detail}`)
    this.name = 'CardNotDeliveredError'
  }
}

interface DeliverResponse {
  success?: boolean
  result?: { deliverResults?: Array<{ success?: boolean; errorMsg?: string; spaceType?: string }> }
}

/** The card API (platform notes §10): create and deliver, update by key. */
export class CardClient {
  constructor(
    private readonly api: DingTalkApi,
    /** From configuration, not from the message: the body of a callback is not signed. */
    private readonly robotCode: string,
    /** 1: people by userId (staff id); 2: by unionId, as DingTalk asks of third-party apps. */
    private readonly userIdType: 1 | 2 = 1,
  ) {}

  /** Resolves once DingTalk says the card is in the chat; throws `CardNotDeliveredError` otherwise. */
  async deliver(d: CardDelivery): Promise<void> {
    const { robotCode } = this
    const person = this.userIdType === 2 ? (d.space.unionId ?? '') : d.space.staffId
    if (d.space.type === 'single' && !person)
      throw new CardNotDeliveredError(
        `no ${this.userIdType === 2 ? 'unionId' : 'staff id'} for a one-to-one card`,
      )
    const space =
      d.space.type === 'group'
        ? {
            openSpaceId: `dtv1.card//IM_GROUP.${d.space.conversationId}`,
            imGroupOpenSpaceModel: { supportForward: true },
            imGroupOpenDeliverModel: {
              robotCode,
              ...(person ? { atUserIds: { [person]: d.space.nick ?? '' } } : {}),
            },
          }
        : {
            openSpaceId: `dtv1.card//IM_ROBOT.${person}`,
            imRobotOpenSpaceModel: { supportForward: true },
            imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT', robotCode },
          }
    const res = await this.api.call<DeliverResponse>({
      api: 'card.deliver',
      method: 'POST',
      path: '/v1.0/card/instances/createAndDeliver',
      body: {
        cardTemplateId: d.templateId,
        outTrackId: d.outTrackId,
        callbackType: d.callbackType,
        ...(d.callbackType === 'HTTP' && d.callbackRouteKey ? { callbackRouteKey: d.callbackRouteKey } : {}),
        cardData: { cardParamMap: d.data },
        ...(this.userIdType === 2 ? { userIdType: 2 } : {}),
        ...space,
      },
    })
    // HTTP 200 is not delivered: `success` and every result must say so.
    if (res?.success !== true) throw new CardNotDeliveredError('success is not true')
    const results = Array.isArray(res.result?.deliverResults) ? res.result.deliverResults : []
    if (results.length === 0) throw new CardNotDeliveredError('no deliverResults')
    const failed = results.find((r) => r?.success !== true)
    if (failed) throw new CardNotDeliveredError(failed.errorMsg || 'a deliverResult failed')
  }

  /** Changes the keys in `data` only (`updateCardDataByKey`); the rest of the card stays. */
  async update(outTrackId: string, data: Readonly<Record<string, string>>): Promise<void> {
    const res = await this.api.call<{ success?: boolean }>({
      api: 'card.update',
      method: 'PUT',
      path: '/v1.0/card/instances',
      body: {
        outTrackId,
        cardData: { cardParamMap: data },
        cardUpdateOptions: { updateCardDataByKey: true },
      },
    })
    if (res?.success === false) throw new CardNotDeliveredError('update: success is false')
  }
}
