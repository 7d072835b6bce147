import { randomBytes } from 'node:crypto'
import type { EmulatorMeeting } from './meetings.js'
import { type EmulatorMember, openMemberModel } from './members.js'
import type { ChangeScene, TimelineSink } from './timeline.js'

/** The topic of every EVENT frame, and what a connection subscribes with to get them all (§8). */
export const EVENT_TOPIC = '*'
export const MEETING_STATUS_CHANGE = 'meeting_status_change'
export const MEETING_MEMBER_STATUS_CHANGE = 'meeting_member_status_change'

/** One platform event: what an EVENT frame carries besides the routing headers. */
export interface EventSpec {
  readonly eventType: string
  /** The same for every push of the event, re-pushes and duplicates included: de-dup on it. */
  readonly eventId: string
  /** Epoch ms the event was born (the emulator's clock). */
  readonly bornTime: number
  /** The JSON text of the frame's `data`. */
  readonly data: string
  /** `eventCorpId` of the frame; default the gateway's (`stream.corpId`). ISV mode: the org's. */
  readonly corpId?: string
}

export function newEventId(): string {
  return `evt${randomBytes(6).toString('hex')}`
}

/** `openConfModel` of `meeting_status_change` (platform notes §9). */
export function openConfModel(m: EmulatorMeeting, now: number) {
  const end = m.status === 1 ? (m.endTime ?? now) : now
  return {
    conferenceId: m.conferenceId,
    title: m.title,
    status: m.status,
    bizType: m.bizType ?? '0',
    creatorId: m.creatorId ?? 'union0',
    creatorNick: m.creatorNick,
    startTime: m.startTime,
    confDuration: m.status === 0 ? 0 : Math.max(0, end - m.startTime),
    activeNum: m.activeNum ?? 0,
    attendNum: m.attendNum ?? 0,
    invitedNum: m.invitedNum ?? 0,
    scheduleConferenceId: m.scheduleConferenceId ?? '',
    calendarEventId: m.calendarEventId ?? '',
    bizScene: 'default',
  }
}

export function meetingStatusEvent(m: EmulatorMeeting, scene: ChangeScene, now: number): EventSpec {
  return {
    eventType: MEETING_STATUS_CHANGE,
    eventId: newEventId(),
    bornTime: now,
    data: JSON.stringify({
      openConfModel: openConfModel(m, now),
      statusSeqNum: m.statusSeqNum ?? 0,
      changeScene: scene,
    }),
  }
}

export function memberStatusEvent(
  m: EmulatorMeeting,
  members: readonly EmulatorMember[],
  scene: ChangeScene,
  now: number,
): EventSpec {
  return {
    eventType: MEETING_MEMBER_STATUS_CHANGE,
    eventId: newEventId(),
    bornTime: now,
    data: JSON.stringify({
      openMemberModels: members.map((x) => openMemberModel(x, m.conferenceId, now)),
      statusSeqNum: m.statusSeqNum ?? 0,
      changeScene: scene,
    }),
  }
}

/** Whether an open call's subscriptions ask for this event: topic "*" (all of them) or its type. */
export function subscribesTo(subscriptions: readonly unknown[], eventType: string): boolean {
  return subscriptions.some((s) => {
    const sub = s as { type?: unknown; topic?: unknown }
    return sub?.type === 'EVENT' && (sub.topic === EVENT_TOPIC || sub.topic === eventType)
  })
}

/** An EVENT frame: the routing headers plus those DingTalk adds for events (platform notes §8). */
export function eventFrame(
  headers: Record<string, string>,
  spec: EventSpec,
  corpId: string,
  appId: string,
): string {
  return JSON.stringify({
    specVersion: '1.0',
    type: 'EVENT',
    headers: {
      ...headers,
      eventType: spec.eventType,
      eventId: spec.eventId,
      eventCorpId: corpId,
      eventBornTime: String(spec.bornTime),
      eventUnifiedAppId: appId,
    },
    data: spec.data,
  })
}

/** An ack of an EVENT frame (the gateway's `eventAcks`), with the status its data carried. */
export interface EventAckRecord {
  readonly messageId: string
  readonly eventId: string
  readonly eventType: string
  /** "SUCCESS", "LATER" (push it again later), or undefined when the data says neither. */
  readonly status: 'SUCCESS' | 'LATER' | undefined
  readonly connectionId: string
  readonly at: number
}

/** The status of an EVENT ack (`data: {"status": "SUCCESS" | "LATER"}`); undefined if it says neither. */
export function eventAckStatus(frame: Record<string, unknown>): 'SUCCESS' | 'LATER' | undefined {
  if (typeof frame.data !== 'string') return undefined
  try {
    const status = (JSON.parse(frame.data) as { status?: unknown } | null)?.status
    return status === 'SUCCESS' || status === 'LATER' ? status : undefined
  } catch {
    return undefined
  }
}

/**
 * What pushes EVENT frames (the stream gateway): the messageId, or undefined when none went out.
 * `always`: pushed even with meeting events turned off (the suite ticket of an ISV app).
 */
export interface EventPort {
  pushEvent(
    spec: EventSpec,
    opts?: { connection?: string; messageId?: string; always?: boolean },
  ): string | undefined
}

export interface SentEvent {
  readonly spec: EventSpec
  /** Undefined when no frame went out: events off, or no connection subscribed. */
  readonly messageId: string | undefined
}

/**
 * The timeline's changes as EVENT frames, and the knobs tests need to play what DingTalk may do:
 * hold events back and release them in another order, push one again with the same eventId.
 */
export class MeetingEvents implements TimelineSink {
  /** Every event handed to the gateway, in order (duplicates included). */
  readonly sent: SentEvent[] = []
  private held: EventSpec[] | undefined

  /** `corpOf`: the org a meeting belongs to (ISV mode), its events' `eventCorpId`. */
  constructor(
    private readonly port: EventPort,
    private readonly clock: () => number,
    private readonly corpOf: (m: EmulatorMeeting) => string | undefined = () => undefined,
  ) {}

  statusChanged(m: EmulatorMeeting, scene: ChangeScene): void {
    this.emit(this.inCorp(m, meetingStatusEvent(m, scene, this.clock())))
  }

  membersChanged(m: EmulatorMeeting, members: readonly EmulatorMember[], scene: ChangeScene): void {
    this.emit(this.inCorp(m, memberStatusEvent(m, members, scene, this.clock())))
  }

  private inCorp(m: EmulatorMeeting, spec: EventSpec): EventSpec {
    const corpId = this.corpOf(m)
    return corpId ? { ...spec, corpId } : spec
  }

  /** Pushes one event now (any type, any data: junk included). Returns its messageId. */
  push(spec: EventSpec, opts: { connection?: string; always?: boolean } = {}): string | undefined {
    const messageId = this.port.pushEvent(spec, opts)
    this.sent.push({ spec, messageId })
    return messageId
  }

  /** From now on the timeline's events wait (in `heldEvents`) until `release`. */
  hold(): void {
    this.held ??= []
  }

  get heldEvents(): readonly EventSpec[] {
    return this.held ?? []
  }

  /**
   * Pushes the held events and stops holding: in the order they happened, reversed (out of
   * order, as the network may deliver them), or as `order` arranges them (it may drop or repeat).
   */
  release(order: 'asIs' | 'reverse' | ((held: EventSpec[]) => EventSpec[]) = 'asIs'): SentEvent[] {
    const held = this.held ?? []
    this.held = undefined
    const list = order === 'asIs' ? held : order === 'reverse' ? [...held].reverse() : order([...held])
    return list.map((spec) => ({ spec, messageId: this.push(spec) }))
  }

  /** The event with this eventId once more, with a new messageId: DingTalk may, even after an ack. */
  duplicate(eventId: string, opts: { connection?: string } = {}): string | undefined {
    const spec = this.sent.find((s) => s.spec.eventId === eventId)?.spec
    if (!spec) throw new Error(`events: no event ${eventId} was sent`)
    return this.push(spec, opts)
  }

  /** The latest event sent, of one type if given. */
  last(eventType?: string): SentEvent | undefined {
    for (let i = this.sent.length - 1; i >= 0; i--) {
      const s = this.sent[i] as SentEvent
      if (!eventType || s.spec.eventType === eventType) return s
    }
    return undefined
  }

  private emit(spec: EventSpec): void {
    if (this.held) this.held.push(spec)
    else this.push(spec)
  }
}
