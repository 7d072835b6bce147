import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

/**
 * Values at rest that must not be usable by whoever can read the store (Redis, the data file)
 * without the app secret: AES-256-GCM with a key derived from the secret for one `purpose`, the
 * app's id as associated data. A value of another app or purpose, or tampered with, does not open.
 * Every instance of the app derives the same key.
 */
export class Sealer {
  private readonly key: Buffer
  private readonly aad: Buffer

  constructor(secret: string, appId: string, purpose: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'meeting-bot', purpose, 32))
    this.aad = Buffer.from(appId)
  }

  seal(plain: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(this.aad)
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    return ['v1', ...[iv, cipher.getAuthTag(), data].map((p) => p.toString('base64url'))].join('.')
  }

  /** The plain text, or undefined when it does not open with this key. */
  open(sealed: string): string | undefined {
    try {
      const [v, iv, tag, data] = sealed.split('.')
      if (v !== 'v1' || !iv || !tag || !data) return undefined
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'))
        .setAAD(this.aad)
        .setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
        'utf8',
      )
    } catch {
      return undefined
    }
  }
}
