import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import t from 'tap'
import {
  aesKeyProblem,
  decryptEvent,
  EventKeyError,
  encryptEvent,
  eventSignature,
  signatureMatches,
  successReply,
} from '../../src/dingtalk/event-crypto.js'
import { pushDecrypt, pushEncrypt, pushSignature } from '../../src/emulator/event-push.js'

/*
 * The vectors below were computed independently with Python's `cryptography` (48.0) and hashlib,
 * from platform notes §11, not with this module:
 *
 *   key = base64.b64decode(AES_KEY + "="); body = rnd + struct.pack(">I", len(m)) + m + owner
 *   n = 32 - len(body) % 32; body += bytes([n]) * n
 *   enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
 *   base64.b64encode(enc.update(body) + enc.finalize())
 *   hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()
 *
 * `reference` (below) is a second implementation with node:crypto, written from the spec, for
 * the bytes this module must produce and the malformed plaintexts it must refuse.
 */
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
const SUITE_KEY = 'suiteq8w7e6r5'
const KEYS = { aesKey: AES_KEY, ownerKey: SUITE_KEY }
const RND = Buffer.from([...Array(16).keys()])
const VECTORS = {
  success: 'IG+0eOkLdhYW9kHtuT3HY/EeoXz5XP0p22IYQWwU/ZD8vSL7IFmd2Y2NhdrVGvq3OoONtJh8f0YkEr55GlGXPA==',
  checkUrl: 'IG+0eOkLdhYW9kHtuT3HY8kWG8jbEE10nbJa8R2L8e4ggiTyz5ZKjThxUpecOpAlTkYP6LF1X+uoCPMpkZ+7ig==',
  /** 16 + 4 + 12 bytes, owner "": already aligned, so a whole block of padding (32 × 0x20). */
  aligned: 'IG+0eOkLdhYW9kHtuT3HY7SJPcPTxAsRa0i9ZHqbt53GvZbDEdq27zivcfvPMR0XQ4+WlfBh7ztoAHdNhB2lSQ==',
  signature: '89f05de3c4a2bfb1eef9352ffeb4e410941b02c3',
}

const key = Buffer.from(`${AES_KEY}=`, 'base64')

/** AES-256-CBC of raw bytes (already padded), iv = key[0..16]: the spec's cipher, nothing else. */
function reference(plain: Buffer, k = key): string {
  const c = createCipheriv('aes-256-cbc', k, k.subarray(0, 16)).setAutoPadding(false)
  return Buffer.concat([c.update(plain), c.final()]).toString('base64')
}

function referenceDecrypt(encrypt: string): Buffer {
  const d = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
  return Buffer.concat([d.update(Buffer.from(encrypt, 'base64')), d.final()])
}

/** random(16) + uint32BE(len) + msg + owner, then `pad` as given. */
function frame(msg: Buffer, owner: string, pad: Buffer, len = msg.length): Buffer {
  const l = Buffer.alloc(4)
  l.writeUInt32BE(len)
  return Buffer.concat([randomBytes(16), l, msg, Buffer.from(owner), pad])
}

t.test('encryption matches the vectors computed with Python’s cryptography', async (t) => {
  t.equal(encryptEvent('success', KEYS, RND), VECTORS.success)
  t.equal(encryptEvent('{"EventType":"check_url"}', KEYS, RND), VECTORS.checkUrl)
  t.equal(encryptEvent('x'.repeat(12), { aesKey: AES_KEY, ownerKey: '' }, RND), VECTORS.aligned)
  t.same(decryptEvent(VECTORS.success, KEYS), { ok: true, message: 'success' })
  t.same(decryptEvent(VECTORS.checkUrl, KEYS), { ok: true, message: '{"EventType":"check_url"}' })
  const aligned = referenceDecrypt(VECTORS.aligned)
  t.equal(aligned.length, 64)
  t.same([...aligned.subarray(32)], Array(32).fill(32), 'a whole 32-byte block of padding')
  t.throws(() => encryptEvent('x', KEYS, Buffer.alloc(8)), RangeError)
})

t.test('round trip: every length, multi-byte text, the layout of the spec', async (t) => {
  const owners = [SUITE_KEY, 'dingrobot2b7c9e4f', '', '套件']
  for (let n = 0; n <= 70; n++) {
    const msg = `{"n":${n},"s":"${'é事'.repeat(n % 7)}${'a'.repeat(n)}"}`
    const ownerKey = owners[n % owners.length] as string
    const keys = { aesKey: AES_KEY, ownerKey }
    const encrypt = encryptEvent(msg, keys)
    const plain = referenceDecrypt(encrypt)
    t.equal(plain.length % 32, 0)
    const pad = plain[plain.length - 1] as number
    t.ok(pad >= 1 && pad <= 32)
    t.ok(
      plain.subarray(plain.length - pad).every((b) => b === pad),
      'PKCS7 bytes',
    )
    const body = Buffer.from(msg)
    t.equal(plain.readUInt32BE(16), body.length, 'uint32BE length after 16 random bytes')
    t.same(plain.subarray(20, 20 + body.length), body)
    t.equal(plain.subarray(20 + body.length, plain.length - pad).toString(), ownerKey)
    t.same(decryptEvent(encrypt, keys), { ok: true, message: msg })
  }
  t.not(encryptEvent('same', KEYS), encryptEvent('same', KEYS), 'fresh random bytes each time')
})

t.test('refused: another ownerKey, another AES key, bad padding, bad length, bad length field', async (t) => {
  const encrypt = encryptEvent('{"EventType":"check_url"}', KEYS)
  t.same(decryptEvent(encrypt, { aesKey: AES_KEY, ownerKey: 'suiteOTHER' }), {
    ok: false,
    reason: 'wrong_owner',
  })
  t.same(decryptEvent(encrypt, { aesKey: AES_KEY, ownerKey: `${SUITE_KEY}x` }), {
    ok: false,
    reason: 'wrong_owner',
  })
  t.same(decryptEvent(encrypt, { aesKey: AES_KEY, ownerKey: SUITE_KEY.slice(1) }), {
    ok: false,
    reason: 'wrong_owner',
  })
  // Another app's AES key: never our message, whatever the bytes turn out to be.
  for (let i = 0; i < 200; i++) {
    const other = randomBytes(32).toString('base64').slice(0, 43)
    const got = decryptEvent(encrypt, { aesKey: other, ownerKey: SUITE_KEY })
    t.equal(got.ok, false)
  }
  const msg = Buffer.from('{"a":1}')
  const base = 16 + 4 + msg.length + SUITE_KEY.length // 40: 24 bytes of padding
  const n = 32 - (base % 32)
  t.same(decryptEvent(reference(frame(msg, SUITE_KEY, Buffer.alloc(n, n))), KEYS), {
    ok: true,
    message: '{"a":1}',
  })
  const mixed = Buffer.alloc(n, n)
  mixed[0] = 7
  t.same(decryptEvent(reference(frame(msg, SUITE_KEY, mixed)), KEYS), { ok: false, reason: 'bad_padding' })
  t.same(decryptEvent(reference(frame(msg, SUITE_KEY, Buffer.alloc(n, 0))), KEYS), {
    ok: false,
    reason: 'bad_padding',
  })
  const body = frame(Buffer.alloc(0), '', Buffer.alloc(0)) // 20 bytes
  const over = Buffer.concat([body, Buffer.alloc(12, 0), Buffer.alloc(32, 33)]) // pad byte 33 > 32
  t.same(decryptEvent(reference(over), KEYS), { ok: false, reason: 'bad_padding' })
  t.same(decryptEvent(reference(frame(msg, SUITE_KEY, Buffer.alloc(n, n), 999)), KEYS), {
    ok: false,
    reason: 'bad_frame',
  })
  t.same(
    decryptEvent(reference(Buffer.alloc(32, 32)), KEYS),
    { ok: false, reason: 'bad_frame' },
    'all padding',
  )
  t.same(decryptEvent(Buffer.alloc(16).toString('base64'), KEYS), { ok: false, reason: 'bad_length' })
  t.same(decryptEvent(Buffer.alloc(48).toString('base64'), KEYS), { ok: false, reason: 'bad_length' })
  t.same(decryptEvent('', KEYS), { ok: false, reason: 'bad_base64' })
  t.same(decryptEvent('not base64!', KEYS), { ok: false, reason: 'bad_base64' })
  const badUtf8 = Buffer.from([0xff, 0xfe])
  const m = 32 - ((20 + 2 + SUITE_KEY.length) % 32)
  t.same(decryptEvent(reference(frame(badUtf8, SUITE_KEY, Buffer.alloc(m, m))), KEYS), {
    ok: false,
    reason: 'bad_text',
  })
})

t.test('the signature: the Python vector, independent of argument order, compared strictly', async (t) => {
  const args = ['tokenXYZ', '1764730000000', 'nEXhMP4r', 'ajls384kdjx98XX'] as const
  t.equal(eventSignature(...args), VECTORS.signature)
  const perms = (xs: string[]): string[][] =>
    xs.length <= 1
      ? [xs]
      : xs.flatMap((x, i) => perms([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]))
  const all = perms([...args])
  t.equal(all.length, 24)
  for (const [a, b, c, d] of all)
    t.equal(eventSignature(a as string, b as string, c as string, d as string), VECTORS.signature)
  const plain = createHash('sha1').update('1764730000000ajls384kdjx98XXnEXhMP4rtokenXYZ').digest('hex')
  t.equal(plain, VECTORS.signature, 'the sorted concatenation, by hand')
  t.ok(signatureMatches(VECTORS.signature, ...args))
  t.ok(signatureMatches(VECTORS.signature.toUpperCase(), ...args), 'hex in any case')
  t.notOk(signatureMatches(`${VECTORS.signature.slice(0, 39)}0`, ...args))
  t.notOk(signatureMatches(VECTORS.signature.slice(0, 39), ...args))
  t.notOk(signatureMatches(`${VECTORS.signature}0`, ...args))
  t.notOk(signatureMatches('z'.repeat(40), ...args))
  t.notOk(signatureMatches(VECTORS.signature, 'tokenOTHER', args[1], args[2], args[3]), 'another token')
  t.notOk(signatureMatches(VECTORS.signature, args[0], args[1], args[2], `${args[3]}x`), 'another ciphertext')
})

t.test('successReply: "success" encrypted for our key, signed with the token', async (t) => {
  const keys = { token: 'tokenXYZ', ...KEYS }
  const r = successReply(keys, '1764730000123', 'n0nce')
  t.same(Object.keys(r).sort(), ['encrypt', 'msg_signature', 'nonce', 'timeStamp'])
  t.equal(r.timeStamp, '1764730000123')
  t.equal(r.nonce, 'n0nce')
  t.same(decryptEvent(r.encrypt, KEYS), { ok: true, message: 'success' })
  const sorted = ['tokenXYZ', '1764730000123', 'n0nce', r.encrypt].sort().join('')
  t.equal(r.msg_signature, createHash('sha1').update(sorted).digest('hex'))
})

t.test(
  'the AES key: 43 base64 characters decoding to 32 bytes, or a clear error without the key',
  async (t) => {
    t.equal(aesKeyProblem(AES_KEY), undefined)
    t.match(aesKeyProblem(AES_KEY.slice(1)), /43 characters \(got 42\)/)
    t.match(aesKeyProblem(`${AES_KEY}=`), /43 characters \(got 44\)/)
    t.match(aesKeyProblem(`${AES_KEY.slice(1)}-`), /base64 characters/)
    const bad = `${AES_KEY.slice(0, 42)}!`
    const err = t.throws(() => encryptEvent('x', { aesKey: bad, ownerKey: SUITE_KEY })) as Error
    t.ok(err instanceof EventKeyError)
    t.notMatch(err.message, bad)
    t.throws(() => decryptEvent(VECTORS.success, { aesKey: 'short', ownerKey: SUITE_KEY }), EventKeyError)
  },
)

t.test('the emulator’s own implementation and the bot’s agree, both ways', async (t) => {
  const creds = { token: 'tokenXYZ', ...KEYS }
  for (const msg of ['success', '{"EventType":"check_url"}', '', '事件'.repeat(40)]) {
    t.same(decryptEvent(pushEncrypt(msg, creds), KEYS), { ok: true, message: msg })
    t.equal(pushDecrypt(encryptEvent(msg, KEYS), creds), msg)
  }
  t.equal(pushDecrypt(VECTORS.success, creds), 'success', 'the Python vector')
  t.equal(pushDecrypt(VECTORS.success, { ...creds, ownerKey: 'other' }), undefined)
  t.equal(pushSignature('tokenXYZ', '1764730000000', 'nEXhMP4r', 'ajls384kdjx98XX'), VECTORS.signature)
})
