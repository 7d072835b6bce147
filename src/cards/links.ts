/*
 * What the cards of every feature print the same way: a room code, a link behind a button.
 * Pure; the meeting, watch and live-card features share them (a feature imports no other).
 */

/** How DingTalk prints room codes: groups of three digits. */
export function formatRoomCode(code: string): string {
  return code.replace(/\B(?=(\d{3})+(?!\d))/g, ' ')
}

/** A http(s) link, else undefined: only those go behind a button. */
export function httpLink(link: string | undefined): string | undefined {
  if (!link) return undefined
  try {
    const url = new URL(link)
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined
  } catch {
    return undefined
  }
}
