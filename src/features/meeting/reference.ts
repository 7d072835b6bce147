/** What the user asked about: a room code people type to join, or DingTalk's internal conference id. */
export type MeetingRef =
  | { readonly kind: 'roomCode'; readonly code: string }
  | { readonly kind: 'conferenceId'; readonly id: string }

const CONFERENCE_ID = /^[0-9a-f]{24}$/i
const ROOM_CODE = /^\d{6,12}$/
/** Spaces and every dash DingTalk clients and keyboards produce between digit groups. */
const SEPARATORS = /[\s\-‐‑‒–—―_.]/g
/** Wrapping people add around a code: quotes, brackets, a trailing question mark. */
const WRAPPING =
  /^[\s"'“”‘’「」『』《》<>()（）[\]【】#:：]+|[\s"'“”‘’「」『』《》<>()（）[\]【】?？!！.。,，;；]+$/g

/**
 * Parses the argument of the meeting command. Input is already NFKC-normalised (full-width digits
 * are ASCII). Returns undefined for anything that is not a meeting reference.
 */
export function parseMeetingRef(input: string): MeetingRef | undefined {
  const text = input.replace(WRAPPING, '')
  const link = /roomCode=([\d\s-]+)/i.exec(text)
  if (link) {
    const code = (link[1] as string).replace(SEPARATORS, '')
    return ROOM_CODE.test(code) ? { kind: 'roomCode', code } : undefined
  }
  if (CONFERENCE_ID.test(text) && /[a-f]/i.test(text)) return { kind: 'conferenceId', id: text.toLowerCase() }
  const digits = text.replace(SEPARATORS, '')
  if (ROOM_CODE.test(digits)) return { kind: 'roomCode', code: digits }
  if (CONFERENCE_ID.test(digits)) return { kind: 'conferenceId', id: digits }
  return undefined
}

export { formatRoomCode } from '../../cards/links.js'
