import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/*
 * DingTalk's HTTP event crypto (platform notes §11; the official DingCallbackCrypto): the key is
 * the 43-character EncodingAESKey + "=" decoded (32 bytes), AES-256-CBC with iv = key[0..16], the
 * plaintext `random(16) + uint32BE(len) + msg + ownerKey` padded PKCS7-style to a 32-byte block
 * (not AES's 16: hence no automatic padding), base64. The signature is
 * `sha1hex(sort([token, timestamp, nonce, encrypt]).join(""))`. Pure: no clock, no logging.
 */

/** The secrets of one app's event push: never logged. `ownerKey` (suite key / app key) is not secret. */
export interface EventCryptoKeys {
  /** The 43-character EncodingAESKey of the console. */
  readonly aesKey: string
  /** What every plaintext ends with: the suite key of an ISV app, the app key of an internal one. */
  readonly ownerKey: string
}

export interface EventReplyKeys extends EventCryptoKeys {
  /** The token of the console: signs pushes and replies. */
  readonly token: string
}

/** What we answer a push with (check_url and events alike). */
export interface EncryptedReply {
  readonly msg_signature: string
  readonly timeStamp: string
  readonly nonce: string
  readonly encrypt: string
}

/** Why a ciphertext was refused; names the fault, never the content. */
export type DecryptFailure =
  | 'bad_base64'
  | 'bad_length'
  | 'bad_padding'
  | 'bad_frame'
  | 'bad_text'
  /** It decrypted, but not to our key: another app's push (or a forged one). */
  | 'wrong_owner'

export type DecryptResult =
  | { readonly ok: true; readonly message: string }
  | { readonly ok: false; readonly reason: DecryptFailure }

const BLOCK = 32
const RANDOM = 16
/** 16 random bytes and the length. */
const HEADER = RANDOM + 4
const AES_KEY = /^[A-Za-z0-9+/]{43}$/
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const SHA1_HEX = /^[0-9a-fA-F]{40}$/

/** A key DingTalk would not accept, or that is not one: the message says which, never the key. */
export class EventKeyError extends Error {
  override name = 'EventKeyError'
}

/** Why `aesKey` is not an EncodingAESKey, or undefined when it is one. Never quotes the key. */
export function aesKeyProblem(aesKey: string): string | undefined {
  if (aesKey.length !== 43) return `must be 43 characters (got ${aesKey.length})`
  if (!AES_KEY.test(aesKey)) return 'must be 43 base64 characters (A-Z a-z 0-9 + /)'
  if (Buffer.from(`${aesKey}=`, 'base64').length !== 32) return 'does not decode to 32 bytes'
  return undefined
}

/** `base64decode(aesKey + "=")`: 32 bytes, or an EventKeyError. */
export function eventAesKey(aesKey: string): Buffer {
  const problem = aesKeyProblem(aesKey)
  if (problem) throw new EventKeyError(`the event AES key ${problem}`)
  return Buffer.from(`${aesKey}=`, 'base64')
}

/** PKCS7 to a 32-byte block: 1 to 32 bytes, each the count (a whole block when already aligned). */
function pad(data: Buffer): Buffer {
  const n = BLOCK - (data.length % BLOCK)
  return Buffer.concat([data, Buffer.alloc(n, n)])
}

/** The padding's length when it is well formed (1..32, every byte the same), else undefined. */
function padLength(data: Buffer): number | undefined {
  const n = data[data.length - 1] ?? 0
  if (n < 1 || n > BLOCK || n > data.length) return undefined
  for (let i = data.length - n; i < data.length; i++) if (data[i] !== n) return undefined
  return n
}

/**
 * `msg` encrypted for DingTalk's event channel, base64. `random` (16 bytes) is for tests'
 * fixed vectors; by default fresh random bytes.
 */
export function encryptEvent(plain: string, keys: EventCryptoKeys, random?: Buffer): string {
  const key = eventAesKey(keys.aesKey)
  const rnd = random ?? randomBytes(RANDOM)
  if (rnd.length !== RANDOM) throw new RangeError(`random must be ${RANDOM} bytes`)
  const msg = Buffer.from(plain, 'utf8')
  const len = Buffer.alloc(4)
  len.writeUInt32BE(msg.length)
  const body = pad(Buffer.concat([rnd, len, msg, Buffer.from(keys.ownerKey, 'utf8')]))
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
  return Buffer.concat([cipher.update(body), cipher.final()]).toString('base64')
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The message inside `encrypt`, or why not: not base64, not whole blocks, bad padding, a length
 * field that does not fit, not UTF-8, or a plaintext that does not end with our `ownerKey`
 * (refused: it is not for us). A wrong AES key shows as one of these too. Throws only for an
 * `aesKey` that is not one (EventKeyError; the configuration checks it at start-up).
 */
export function decryptEvent(encrypt: string, keys: EventCryptoKeys): DecryptResult {
  const key = eventAesKey(keys.aesKey)
  if (!BASE64.test(encrypt)) return fail('bad_base64')
  const data = Buffer.from(encrypt, 'base64')
  // DingTalk pads to 32 bytes: anything else was not made by its scheme.
  if (data.length === 0 || data.length % BLOCK !== 0) return fail('bad_length')
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
  const plain = Buffer.concat([decipher.update(data), decipher.final()])
  const padding = padLength(plain)
  if (padding === undefined) return fail('bad_padding')
  const body = plain.subarray(0, plain.length - padding)
  if (body.length < HEADER) return fail('bad_frame')
  const len = body.readUInt32BE(RANDOM)
  if (len > body.length - HEADER) return fail('bad_frame')
  const owner = body.subarray(HEADER + len)
  const ours = Buffer.from(keys.ownerKey, 'utf8')
  if (owner.length !== ours.length || !timingSafeEqual(owner, ours)) return fail('wrong_owner')
  try {
    return { ok: true, message: utf8.decode(body.subarray(HEADER, HEADER + len)) }
  } catch {
    return fail('bad_text')
  }
}

function fail(reason: DecryptFailure): DecryptResult {
  return { ok: false, reason }
}

/** `sha1hex(sort([token, timestamp, nonce, encrypt]).join(""))`: JS's sort is Java's String order. */
export function eventSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join(''), 'utf8').digest('hex')
}

/** Whether `given` is the signature of these values; constant-time, any case of hex. */
export function signatureMatches(
  given: string,
  token: string,
  timestamp: string,
  nonce: string,
  encrypt: string,
): boolean {
  if (!SHA1_HEX.test(given)) return false
  const expected = Buffer.from(eventSignature(token, timestamp, nonce, encrypt), 'latin1')
  return timingSafeEqual(Buffer.from(given.toLowerCase(), 'latin1'), expected)
}

/** The reply DingTalk expects to a push: "success", encrypted and signed. */
export function successReply(keys: EventReplyKeys, timestamp: string, nonce: string): EncryptedReply {
  const encrypt = encryptEvent('success', keys)
  return {
    msg_signature: eventSignature(keys.token, timestamp, nonce, encrypt),
    timeStamp: timestamp,
    nonce,
    encrypt,
  }
}
