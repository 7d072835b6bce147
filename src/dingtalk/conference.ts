import type { DingTalkApi } from './api.js'

/** Conference status as DingTalk encodes it: 0 not started, 1 ended, 2 in progress. */
export type ConferenceStatus = 0 | 1 | 2

/** One entry of `GET /v1.0/conference/roomCodes/{roomCode}/infos` (no participant counts). */
export interface ConferenceSummary {
  conferenceId: string
  title?: string
  roomCode?: string
  status: ConferenceStatus
  startTime?: number
  endTime?: number
  confDuration?: number
  creatorId?: string
  creatorNick?: string
  externalLinkUrl?: string
  bizType?: string
  scheduleConferenceId?: string
}

/** `confInfo` of `GET /v1.0/conference/videoConferences/{conferenceId}`. */
export interface ConferenceInfo extends ConferenceSummary {
  activeNum?: number
  attendNum?: number
  invitedNum?: number
  /** 0 none, 1 recording, 2 paused, 3 ended. */
  cloudRecordStatus?: number
}

/** `attendStatus`: 1 initialised, 2 calling, 3 in the meeting, 4 failed or declined, 5 kicked, 6 left. */
export type AttendStatus = 1 | 2 | 3 | 4 | 5 | 6

/** One entry of `GET /v1.0/conference/videoConferences/{conferenceId}/members` (platform notes §9). */
export interface ConferenceMember {
  unionId?: string
  conferenceId?: string
  userNick?: string
  joinTime?: number
  leaveTime?: number
  /** Milliseconds in the meeting. */
  duration?: number
  host?: boolean
  coHost?: boolean
  attendStatus?: AttendStatus
  /** From outside the organisation. */
  outerOrgMember?: boolean
  /** Dialled in by phone. */
  pstnJoin?: boolean
}

export interface MemberList {
  readonly members: ConferenceMember[]
  /** What DingTalk says the whole list holds (the members read when it does not say). */
  readonly totalCount: number
  /** More pages were there than we read (`MAX_MEMBER_PAGES`). */
  readonly truncated: boolean
}

/** Members come 128 a page; 10 pages (1,280 people) is more than any card shows. */
export const MEMBER_PAGE_SIZE = 128
export const MAX_MEMBER_PAGES = 10

/** Follow `nextToken` at most this many pages: a room code with more is not a real meeting room. */
export const MAX_ROOM_CODE_PAGES = 5
const PAGE_SIZE = 20

export class ConferenceClient {
  constructor(private readonly api: DingTalkApi) {}

  async getConference(conferenceId: string): Promise<ConferenceInfo> {
    const res = await this.api.call<{ confInfo?: ConferenceInfo }>({
      api: 'conference.info',
      method: 'GET',
      path: `/v1.0/conference/videoConferences/${encodeURIComponent(conferenceId)}`,
    })
    if (!res.confInfo || typeof res.confInfo !== 'object')
      throw new Error('conference response has no confInfo')
    return { ...res.confInfo, conferenceId: res.confInfo.conferenceId || conferenceId }
  }

  /**
   * Everyone DingTalk lists for a meeting, following `nextToken` for at most `MAX_MEMBER_PAGES`.
   * The first page goes without a token; "0" (or none) in an answer means there is no next page.
   */
  async listMembers(conferenceId: string): Promise<MemberList> {
    const members: ConferenceMember[] = []
    let nextToken: string | undefined
    let totalCount: number | undefined
    for (let page = 0; page < MAX_MEMBER_PAGES; page++) {
      const res = await this.api.call<{
        memberModels?: ConferenceMember[]
        nextToken?: string
        totalCount?: number
      }>({
        api: 'conference.members',
        method: 'GET',
        path: `/v1.0/conference/videoConferences/${encodeURIComponent(conferenceId)}/members`,
        query: { maxResults: MEMBER_PAGE_SIZE, nextToken },
      })
      const models = Array.isArray(res.memberModels) ? res.memberModels : []
      members.push(...models.filter((m) => m && typeof m === 'object'))
      if (typeof res.totalCount === 'number') totalCount = res.totalCount
      // An empty page or a token that does not move on would loop: stop there.
      const next = res.nextToken && res.nextToken !== '0' && models.length > 0 ? res.nextToken : undefined
      if (!next || next === nextToken)
        return { members, totalCount: totalCount ?? members.length, truncated: false }
      nextToken = next
    }
    return { members, totalCount: Math.max(totalCount ?? 0, members.length), truncated: true }
  }

  async listByRoomCode(roomCode: string): Promise<{ conferences: ConferenceSummary[]; truncated: boolean }> {
    const conferences: ConferenceSummary[] = []
    let nextToken: string | undefined
    for (let page = 0; page < MAX_ROOM_CODE_PAGES; page++) {
      const res = await this.api.call<{
        conferenceList?: ConferenceSummary[]
        hasMore?: boolean
        nextToken?: string
      }>({
        api: 'conference.byRoomCode',
        method: 'GET',
        path: `/v1.0/conference/roomCodes/${encodeURIComponent(roomCode)}/infos`,
        query: { maxResults: PAGE_SIZE, nextToken },
      })
      conferences.push(...(res.conferenceList ?? []).filter((c) => c && typeof c.conferenceId === 'string'))
      nextToken = res.hasMore && res.nextToken ? res.nextToken : undefined
      if (!nextToken) return { conferences, truncated: false }
    }
    return { conferences, truncated: true }
  }
}
