import { createHmac, timingSafeEqual } from 'node:crypto'
import { MAX_CLOCK_SKEW_MS, type SignatureVerdict } from './signature.js'

/**
 * `x-ddpaas-signature` of an HTTP card callback (platform notes §10):
 * `base64(HMAC-SHA256(key = the callback secret, message = the timestamp))`. Unlike the robot
 * callback's sign, the secret is not part of the message.
 */
export function signCardCallback(timestamp: string, secret: string): string {
  return createHmac('sha256', secret).update(timestamp, 'utf8').digest('base64')
}

/**
 * Verifies the `x-ddpaas-signature-timestamp` and `x-ddpaas-signature` headers of a card
 * callback, within the robot callback's window (`MAX_CLOCK_SKEW_MS`), with a constant-time
 * compare. No secret configured: every callback is refused (nobody could have signed it). Pure:
 * the clock is passed in. The reasons are safe to log and return: never the signature or secret.
 */
export function verifyCardSignature(
  headers: { timestamp?: string | string[] | undefined; signature?: string | string[] | undefined },
  secret: string,
  now: number,
): SignatureVerdict {
  if (!secret) return { ok: false, reason: 'card callbacks are not configured (no callback secret)' }
  const { timestamp, signature } = headers
  if (typeof timestamp !== 'string' || typeof signature !== 'string' || !timestamp || !signature) {
    return { ok: false, reason: 'missing x-ddpaas-signature-timestamp or x-ddpaas-signature header' }
  }
  if (!/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: 'timestamp is not epoch milliseconds' }
  if (Math.abs(now - Number(timestamp)) > MAX_CLOCK_SKEW_MS) {
    return { ok: false, reason: 'timestamp is more than one hour away from now' }
  }
  const expected = Buffer.from(signCardCallback(timestamp, secret), 'utf8')
  const given = Buffer.from(signature, 'utf8')
  // timingSafeEqual needs equal lengths; a wrong length tells nothing about the right value.
  const same = given.length === expected.length && timingSafeEqual(given, expected)
  return same ? { ok: true } : { ok: false, reason: 'signature does not match' }
}
