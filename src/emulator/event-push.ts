import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import type { EventSpec } from './events.js'

/*
 * DingTalk's encrypted HTTP event push, played by the emulator (platform notes §11): it encrypts a
 * body for the app, signs it, POSTs `{encrypt}` with `msg_signature`, `timestamp` and `nonce` in
 * the query, and checks the answer as DingTalk does: signed with the token, "success" inside,
 * encrypted for the same owner key. The crypto is the emulator's own, from the spec (the emulator
 * shares no code with the bot's dingtalk/event-crypto.ts): the bot is tested against it.
 */

function aesKey(creds: PushCredentials): Buffer {
  const key = Buffer.from(`${creds.aesKey}=`, 'base64')
  if (creds.aesKey.length !== 43 || key.length !== 32)
    throw new Error('event push: the AES key must be 43 characters')
  return key
}

/** `random(16) + uint32BE(len) + msg + ownerKey`, PKCS7 to 32 bytes, AES-256-CBC, iv = key[0..16]. */
export function pushEncrypt(text: string, creds: PushCredentials): string {
  const key = aesKey(creds)
  const msg = Buffer.from(text)
  const head = Buffer.alloc(20)
  randomBytes(16).copy(head)
  head.writeUInt32BE(msg.length, 16)
  const plain = Buffer.concat([head, msg, Buffer.from(creds.ownerKey)])
  const n = 32 - (plain.length % 32)
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(n, n)])), cipher.final()]).toString(
    'base64',
  )
}

/** The message of a ciphertext made for `creds`, or undefined when it is not one. */
export function pushDecrypt(encrypt: string, creds: PushCredentials): string | undefined {
  const key = aesKey(creds)
  const data = Buffer.from(encrypt, 'base64')
  if (data.length === 0 || data.length % 32 !== 0) return undefined
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
  const plain = Buffer.concat([decipher.update(data), decipher.final()])
  const n = plain[plain.length - 1] ?? 0
  if (n < 1 || n > 32) return undefined
  const body = plain.subarray(0, plain.length - n)
  if (body.length < 20) return undefined
  const len = body.readUInt32BE(16)
  if (20 + len > body.length) return undefined
  if (body.subarray(20 + len).toString() !== creds.ownerKey) return undefined
  return body.subarray(20, 20 + len).toString()
}

/** `sha1hex(sort([token, timestamp, nonce, encrypt]).join(""))`. */
export function pushSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join('')).digest('hex')
}

/** What the console holds for the app's event subscription, and the app's key. */
export interface PushCredentials {
  readonly token: string
  readonly aesKey: string
  /** The suite key of an ISV app, the app key of an internal one. */
  readonly ownerKey: string
}

export interface PushOptions {
  /** Epoch ms as text; default now. */
  readonly timestamp?: string
  readonly nonce?: string
  /** Sent instead of the right signature (a forged push). */
  readonly signature?: string
  /** Sent instead of the encryption of the body (junk, another app's ciphertext). */
  readonly encrypt?: string
  /** `signature` instead of `msg_signature` in the query. */
  readonly signatureParam?: 'msg_signature' | 'signature'
  readonly timeoutMs?: number
}

export interface PushResult {
  readonly status: number
  /** The answer is what DingTalk accepts: HTTP 200, signed, decrypts to "success" for our key. */
  readonly success: boolean
  /** The decrypted answer when it decrypted, else why not (or the HTTP status). */
  readonly reply: string | undefined
  readonly problem: string | undefined
  /** The response body as received. */
  readonly body: unknown
  readonly ms: number
}

/** One SyncHTTP entry as DingTalk sends it: `biz_data` is JSON text. */
export interface SyncEntry {
  readonly biz_type: number
  readonly corp_id: string
  readonly biz_data: string
  readonly biz_id?: string
}

/**
 * A Stream event (`events.ts`) as a new-style HTTP push body: `EventType`, `EventId`, `CorpId`,
 * `TimeStamp` and the data's fields at the top. This layout is our reading of DingTalk's
 * new-style pushes (platform notes §11 do not show one for meeting events): not confirmed.
 */
export function eventBody(spec: EventSpec, corpId: string): Record<string, unknown> {
  return {
    EventType: spec.eventType,
    EventId: spec.eventId,
    CorpId: corpId,
    TimeStamp: String(spec.bornTime),
    ...(JSON.parse(spec.data) as Record<string, unknown>),
  }
}

/** A `SYNC_HTTP_PUSH_HIGH` (or `_MEDIUM`) body with these entries. */
export function syncPushBody(
  entries: readonly SyncEntry[],
  level: 'HIGH' | 'MEDIUM' = 'HIGH',
): Record<string, unknown> {
  return { EventType: `SYNC_HTTP_PUSH_${level}`, bizData: entries }
}

/** The suite ticket entry (`biz_type` 2) DingTalk pushes about every 5 h. */
export function suiteTicketEntry(suiteTicket: string, corpId: string, suiteKey: string): SyncEntry {
  return {
    biz_type: 2,
    corp_id: corpId,
    biz_id: suiteKey,
    biz_data: JSON.stringify({ syncAction: 'suite_ticket', suiteTicket, syncSeq: String(Date.now()) }),
  }
}

/** Pushes events to a bot URL as DingTalk does; `sent` records what went and what came back. */
export class EventPush {
  readonly sent: Array<{ readonly url: string; readonly status: number; readonly success: boolean }> = []

  /** POSTs `body` (an object, or text as is) encrypted for `creds` and checks the answer. */
  async send(
    url: string,
    body: unknown,
    creds: PushCredentials,
    opts: PushOptions = {},
  ): Promise<PushResult> {
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    const timestamp = opts.timestamp ?? String(Date.now())
    const nonce = opts.nonce ?? randomBytes(4).toString('hex')
    const encrypt = opts.encrypt ?? pushEncrypt(text, creds)
    const target = new URL(url)
    target.searchParams.set(
      opts.signatureParam ?? 'msg_signature',
      opts.signature ?? pushSignature(creds.token, timestamp, nonce, encrypt),
    )
    target.searchParams.set('timestamp', timestamp)
    target.searchParams.set('nonce', nonce)
    const started = performance.now()
    const res = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ encrypt }),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    })
    const raw = await res.text()
    const ms = Math.round(performance.now() - started)
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch {
      parsed = raw
    }
    const checked = res.status === 200 ? checkReply(parsed, creds) : { problem: `HTTP ${res.status}` }
    const result: PushResult = {
      status: res.status,
      success: checked.reply === 'success',
      reply: checked.reply,
      problem: checked.problem ?? (checked.reply === 'success' ? undefined : 'the answer is not "success"'),
      body: parsed,
      ms,
    }
    this.sent.push({ url, status: result.status, success: result.success })
    return result
  }

  /** The URL check the console runs when the callback URL is saved: `{"EventType":"check_url"}`. */
  checkUrl(url: string, creds: PushCredentials, opts: PushOptions = {}): Promise<PushResult> {
    return this.send(url, { EventType: 'check_url' }, creds, opts)
  }
}

/** `{msg_signature, timeStamp, nonce, encrypt}`: signed with the token, decrypted for the owner key. */
function checkReply(body: unknown, creds: PushCredentials): { reply?: string; problem?: string } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const { msg_signature: sig, timeStamp, nonce, encrypt } = b
  if (
    typeof sig !== 'string' ||
    typeof timeStamp !== 'string' ||
    typeof nonce !== 'string' ||
    typeof encrypt !== 'string'
  )
    return { problem: 'the answer is not {msg_signature, timeStamp, nonce, encrypt}' }
  if (sig !== pushSignature(creds.token, timeStamp, nonce, encrypt))
    return { problem: 'the answer’s msg_signature does not match' }
  const plain = pushDecrypt(encrypt, creds)
  return plain === undefined ? { problem: 'the answer does not decrypt for our key' } : { reply: plain }
}
