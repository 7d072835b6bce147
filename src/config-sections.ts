import type { Env, EnvReader } from './env-reader.js'

/*
 * The sections of the configuration that take more than one line to read (config.ts puts them
 * together): each reads its variables from the reader and records its problems there.
 */

type Mode = 'real' | 'emulator'

export interface EventsConfig {
  /** `DINGTALK_EVENT_TOKEN`: signs pushes and our replies. */
  readonly token: string
  /** `DINGTALK_EVENT_AES_KEY`: the 43-character EncodingAESKey. */
  readonly aesKey: string
}

export interface ProxyConfig {
  /** For http: and ws: targets. */
  readonly httpProxy: string | undefined
  /** For https: and wss: targets (DingTalk's APIs and its Stream gateway). */
  readonly httpsProxy: string | undefined
  /** Hosts that go direct: names (with their subdomains), IP addresses, CIDR ranges, `*`. */
  readonly noProxy: readonly string[]
}

/**
 * The live cards' template: as set; in emulator mode, unless set (empty turns them off), the
 * emulator's own, so that `npm start` shows live cards as a DingTalk org with a template would.
 */
export const EMULATOR_CARD_TEMPLATE = 'emulator-meeting-card.schema'

export function cardTemplate(r: EnvReader, env: Env, mode: Mode): string | undefined {
  if (r.str('DINGTALK_CARD_TEMPLATE_ID') === undefined)
    return mode === 'emulator' && env.DINGTALK_CARD_TEMPLATE_ID === undefined
      ? EMULATOR_CARD_TEMPLATE
      : undefined
  return (
    r.pattern(
      'DINGTALK_CARD_TEMPLATE_ID',
      /^[\w.-]{1,128}$/,
      '',
      'a card template id such as a1b2c3d4-5e6f-7a8b-9c0d-e1f2a3b4c5d6.schema',
    ) || undefined
  )
}

/** A fraction from 0 to 1 (`0.2`, or `20%`). */
export function share(r: EnvReader, name: string, fallback: number): number {
  const raw = r.str(name)
  if (raw === undefined) return fallback
  const n = raw.endsWith('%') ? Number(raw.slice(0, -1)) / 100 : Number(raw)
  if (!Number.isFinite(n) || n < 0 || n > 1 || raw === '%') {
    r.problems.push(`${name} must be a fraction from 0 to 1 (e.g. 0.2) or a percentage (20%), got "${raw}"`)
    return fallback
  }
  return n
}

/**
 * Why a value is not an EncodingAESKey (43 base64 characters, 32 bytes once `=` is added), or
 * undefined. The same check as dingtalk/event-crypto.ts (config is a leaf: it cannot import it).
 */
function aesKeyProblem(aesKey: string): string | undefined {
  if (aesKey.length !== 43) return `must be 43 characters (got ${aesKey.length})`
  if (!/^[A-Za-z0-9+/]{43}$/.test(aesKey)) return 'must be 43 base64 characters (A-Z a-z 0-9 + /)'
  if (Buffer.from(`${aesKey}=`, 'base64').length !== 32) return 'does not decode to 32 bytes'
  return undefined
}

/** Both or neither; the AES key checked as DingTalk makes it. Problems never quote either. */
export function eventsConfig(r: EnvReader): EventsConfig | undefined {
  const token = r.str('DINGTALK_EVENT_TOKEN')
  const aesKey = r.str('DINGTALK_EVENT_AES_KEY')
  if (token === undefined && aesKey === undefined) return undefined
  if (token === undefined || aesKey === undefined) {
    const [missing, set] =
      token === undefined
        ? ['DINGTALK_EVENT_TOKEN', 'DINGTALK_EVENT_AES_KEY']
        : ['DINGTALK_EVENT_AES_KEY', 'DINGTALK_EVENT_TOKEN']
    r.problems.push(`${missing} is required when ${set} is set (both for the HTTP event push, or neither)`)
    return undefined
  }
  const problem = aesKeyProblem(aesKey)
  if (problem) {
    r.problems.push(
      `DINGTALK_EVENT_AES_KEY ${problem}: the EncodingAESKey of the console's event subscription`,
    )
    return undefined
  }
  return { token, aesKey }
}

export function redisConfig(r: EnvReader): { readonly url: string; readonly keyPrefix: string } | undefined {
  const url = r.redisUrl('REDIS_URL')
  const keyPrefix = r.pattern(
    'REDIS_KEY_PREFIX',
    /^[\w.:-]{1,64}$/,
    'meeting-bot',
    '1 to 64 letters, digits or _ . : -',
  )
  return url ? { url, keyPrefix } : undefined
}

/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY as curl reads them: the lower-case name wins when both are
 * set; a proxy without a scheme is http://. Problems never quote a proxy's credentials.
 */
export function proxyConfig(r: EnvReader, mode: Mode): ProxyConfig | undefined {
  const read = (upper: string) => {
    const lower = upper.toLowerCase()
    const name = r.str(lower) !== undefined ? lower : upper
    const value = r.str(name)
    return value === undefined ? undefined : r.proxyUrl(name, value)
  }
  const httpsProxy = read('HTTPS_PROXY')
  const httpProxy = read('HTTP_PROXY')
  const noProxy = (r.str('no_proxy') ?? r.str('NO_PROXY') ?? '')
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean)
  // The emulator is in this process on loopback: a proxy could only get in the way.
  if (mode === 'emulator' || (!httpsProxy && !httpProxy)) return undefined
  return { httpProxy, httpsProxy, noProxy }
}
