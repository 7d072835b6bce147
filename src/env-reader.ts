import { redactRedisUrl } from './store/redis-url.js'

/*
 * Reading environment variables: typed, validated, every problem recorded rather than thrown at
 * the first, so that `loadConfig` (config.ts) can list them all in one error.
 */

export type Env = Readonly<Record<string, string | undefined>>

/** A small reader that records problems instead of throwing at the first one. */
export class EnvReader {
  readonly problems: string[] = []
  constructor(private readonly env: Env) {}

  str(name: string, fallback?: string): string | undefined {
    const raw = this.env[name]?.trim()
    return raw === undefined || raw === '' ? fallback : raw
  }

  url(name: string, fallback: string): string {
    const value = this.str(name, fallback) as string
    try {
      const url = new URL(value)
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol')
      return url.origin + url.pathname.replace(/\/+$/, '')
    } catch {
      this.problems.push(`${name} must be an http(s) URL, got "${value}"`)
      return fallback
    }
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.str(name)
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`)
      return fallback
    }
    return n
  }

  /** A redis:// or rediss:// URL. Problems never quote the password. */
  redisUrl(name: string): string | undefined {
    const value = this.str(name)
    if (value === undefined) return undefined
    let url: URL
    try {
      url = new URL(value)
    } catch {
      this.problems.push(`${name} must be a redis:// or rediss:// URL (e.g. redis://:password@host:6379/0)`)
      return undefined
    }
    if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
      this.problems.push(
        `${name} must be a redis:// or rediss:// URL with a host, got "${redactRedisUrl(value)}"`,
      )
      return undefined
    }
    if (!/^\/?\d*$/.test(url.pathname)) {
      this.problems.push(`${name}: the path must be a database number, got "${redactRedisUrl(value)}"`)
      return undefined
    }
    return value
  }

  /** A proxy URL: http(s), a host, nothing but `/` as the path; no scheme means http://. */
  proxyUrl(name: string, value: string): string | undefined {
    const withScheme = /^[a-z][a-z\d+.-]*:\/\//i.test(value) ? value : `http://${value}`
    let url: URL | undefined
    try {
      url = new URL(withScheme)
    } catch {
      url = undefined
    }
    if (
      !url ||
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      !url.hostname ||
      (url.pathname !== '/' && url.pathname !== '') ||
      url.search ||
      url.hash
    ) {
      this.problems.push(
        `${name} must be an http:// or https:// proxy URL such as http://proxy.example.com:3128, got "${redactUrl(value)}"`,
      )
      return undefined
    }
    return url.href.replace(/\/$/, '')
  }

  pattern(name: string, re: RegExp, fallback: string, what: string): string {
    const value = this.str(name, fallback) as string
    if (re.test(value)) return value
    this.problems.push(`${name} must be ${what}, got "${value}"`)
    return fallback
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.str(name)
    if (raw === undefined) return fallback
    if ((allowed as readonly string[]).includes(raw)) return raw as T
    this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`)
    return fallback
  }

  list<T extends string>(name: string, allowed: readonly T[], fallback: readonly T[]): T[] {
    const raw = this.str(name)
    if (raw === undefined) return [...fallback]
    const items = raw
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean)
    const bad = items.filter((i) => !(allowed as readonly string[]).includes(i))
    if (bad.length > 0 || items.length === 0) {
      this.problems.push(`${name} must be a comma-separated list of ${allowed.join(', ')}, got "${raw}"`)
      return [...fallback]
    }
    return [...new Set(items as T[])]
  }
}

/** A URL for messages and `/config`: user and password replaced, whatever else it holds. */
export function redactUrl(value: string): string {
  try {
    const u = new URL(value)
    if (u.protocol === 'http:' || u.protocol === 'https:') {
      const had = u.username !== '' || u.password !== ''
      u.username = ''
      u.password = ''
      const shown = u.href.replace(/\/$/, '')
      return had ? `${u.protocol}//***@${shown.slice(u.protocol.length + 2)}` : shown
    }
  } catch {
    // Not a URL: masked below all the same.
  }
  // Never show what may be credentials: anything before an `@` ahead of the first `/`.
  return value.replace(/^([a-z][a-z\d+.-]*:\/\/)?[^/]*@/i, '$1***@')
}
