import t from 'tap'
import {
  MAX_CLOCK_SKEW_MS,
  SignatureMemo,
  signCallback,
  verifyCallbackSignature,
} from '../../src/dingtalk/signature.js'
import { fixture } from '../helpers/index.js'

const vectors = fixture<Array<{ timestamp: string; appSecret: string; sign: string }>>(
  'callback-signature-vectors',
)

t.test('documented vectors', async (t) => {
  t.ok(vectors.length >= 3)
  for (const v of vectors) {
    t.equal(signCallback(v.timestamp, v.appSecret), v.sign, `sign for ${v.timestamp}`)
    t.same(
      verifyCallbackSignature({ timestamp: v.timestamp, sign: v.sign }, v.appSecret, Number(v.timestamp)),
      { ok: true },
    )
  }
})

t.test('rejections say why, never what the signature should be', async (t) => {
  const v = vectors[0] as { timestamp: string; appSecret: string; sign: string }
  const now = Number(v.timestamp)
  const cases: Array<[string, Parameters<typeof verifyCallbackSignature>[0], number, RegExp]> = [
    ['missing sign', { timestamp: v.timestamp }, now, /missing/],
    ['missing timestamp', { sign: v.sign }, now, /missing/],
    ['array header', { timestamp: [v.timestamp], sign: v.sign }, now, /missing/],
    ['not a number', { timestamp: '12ab', sign: v.sign }, now, /epoch/],
    ['forged', { timestamp: v.timestamp, sign: `${v.sign.slice(0, -2)}A=` }, now, /does not match/],
    ['wrong length', { timestamp: v.timestamp, sign: 'short' }, now, /does not match/],
    ['stale', { timestamp: v.timestamp, sign: v.sign }, now + MAX_CLOCK_SKEW_MS + 1, /one hour/],
    ['future', { timestamp: v.timestamp, sign: v.sign }, now - MAX_CLOCK_SKEW_MS - 1, /one hour/],
  ]
  for (const [name, headers, at, reason] of cases) {
    const verdict = verifyCallbackSignature(headers, v.appSecret, at)
    t.equal(verdict.ok, false, name)
    if (!verdict.ok) {
      t.match(verdict.reason, reason, name)
      t.notMatch(verdict.reason, v.sign, `${name}: no signature in the reason`)
    }
  }
  t.same(
    verifyCallbackSignature({ timestamp: v.timestamp, sign: v.sign }, v.appSecret, now + MAX_CLOCK_SKEW_MS),
    { ok: true },
    'exactly one hour is fine',
  )
  t.equal(
    verifyCallbackSignature({ timestamp: v.timestamp, sign: v.sign }, 'other-secret', now).ok,
    false,
    'other secret',
  )
})

t.test(
  'SignatureMemo: the same verdicts as the plain secret, remembered per timestamp, bounded',
  async (t) => {
    const memo = new SignatureMemo('memo-secret', 4)
    const now = 1_800_000_000_000
    for (let i = 0; i < 10; i++) {
      const timestamp = String(now + (i % 6))
      const sign = signCallback(timestamp, 'memo-secret')
      t.same(verifyCallbackSignature({ timestamp, sign }, memo, now), { ok: true }, `valid ${timestamp}`)
      t.match(verifyCallbackSignature({ timestamp, sign: signCallback(timestamp, 'other') }, memo, now), {
        ok: false,
        reason: /does not match/,
      })
      t.same(memo.expected(timestamp), Buffer.from(sign), 'remembered value is the signature')
    }
    t.equal(
      (memo as unknown as { recent: Map<string, Buffer> }).recent.size,
      4,
      'only the last few timestamps',
    )
  },
)
