import { createHmac } from 'node:crypto'
import t from 'tap'
import { signCardCallback, verifyCardSignature } from '../../src/dingtalk/card-signature.js'
import { MAX_CLOCK_SKEW_MS } from '../../src/dingtalk/signature.js'

/** Computed apart from the code under test (Python's hmac): base64(HMAC-SHA256(secret, timestamp)). */
const VECTORS = [
  {
    timestamp: '1764724260000',
    secret: 'cardSecret-7f3a',
    signature: 'UCOa5LDtV7J/lY0tfCAWIncA6Mlbk6yja+EIm/5VXA4=',
  },
  { timestamp: '1700000000000', secret: 's3cr3t', signature: 'BPd+vor1Z68NRe0pNxaMUc8Ye9vBPajkM6Adb5rGT1I=' },
]

t.test('vectors: the HMAC of the timestamp alone, keyed by the callback secret', async (t) => {
  for (const v of VECTORS) {
    t.equal(signCardCallback(v.timestamp, v.secret), v.signature, `sign for ${v.timestamp}`)
    const independent = createHmac('sha256', v.secret).update(v.timestamp).digest('base64')
    t.equal(independent, v.signature, 'node:crypto agrees')
    t.same(
      verifyCardSignature({ timestamp: v.timestamp, signature: v.signature }, v.secret, Number(v.timestamp)),
      {
        ok: true,
      },
    )
  }
  const robotStyle = createHmac('sha256', 's3cr3t').update('1700000000000\ns3cr3t').digest('base64')
  t.not(signCardCallback('1700000000000', 's3cr3t'), robotStyle, 'not the robot callback’s formula')
})

t.test('rejections say why, never what the signature should be', async (t) => {
  const v = VECTORS[0] as (typeof VECTORS)[number]
  const now = Number(v.timestamp)
  const forged = createHmac('sha256', 'another-secret').update(v.timestamp).digest('base64')
  const cases: Array<[string, Parameters<typeof verifyCardSignature>[0], string, number, RegExp]> = [
    ['no secret configured', { timestamp: v.timestamp, signature: v.signature }, '', now, /not configured/],
    ['missing signature', { timestamp: v.timestamp }, v.secret, now, /missing/],
    ['missing timestamp', { signature: v.signature }, v.secret, now, /missing/],
    ['array header', { timestamp: [v.timestamp], signature: v.signature }, v.secret, now, /missing/],
    ['not a number', { timestamp: '12ab', signature: v.signature }, v.secret, now, /epoch/],
    ['another secret', { timestamp: v.timestamp, signature: forged }, v.secret, now, /does not match/],
    ['wrong length', { timestamp: v.timestamp, signature: 'short' }, v.secret, now, /does not match/],
    [
      'another timestamp',
      { timestamp: String(now + 1), signature: v.signature },
      v.secret,
      now,
      /does not match/,
    ],
    [
      'expired',
      { timestamp: v.timestamp, signature: v.signature },
      v.secret,
      now + MAX_CLOCK_SKEW_MS + 1,
      /one hour/,
    ],
    [
      'future',
      { timestamp: v.timestamp, signature: v.signature },
      v.secret,
      now - MAX_CLOCK_SKEW_MS - 1,
      /one hour/,
    ],
  ]
  for (const [name, headers, secret, at, reason] of cases) {
    const verdict = verifyCardSignature(headers, secret, at)
    t.equal(verdict.ok, false, name)
    if (!verdict.ok) {
      t.match(verdict.reason, reason, name)
      t.notOk(verdict.reason.includes(v.signature), `${name}: no signature in the reason`)
      t.notOk(verdict.reason.includes(v.secret), `${name}: no secret in the reason`)
    }
  }
  t.same(
    verifyCardSignature(
      { timestamp: v.timestamp, signature: v.signature },
      v.secret,
      now + MAX_CLOCK_SKEW_MS,
    ),
    { ok: true },
    'the edge of the window is inside it',
  )
})
