/** `redis://user:secret@host:6379/0` → `redis://user:***@host:6379/0`, for messages and `/config`. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(not a URL)'
  }
}
