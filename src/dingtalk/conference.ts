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
