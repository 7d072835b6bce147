/**
 * A Bloom filter over keys: "certainly not there" or "maybe there". The SQLite store asks it
 * before looking a key up in the file, so keys that were never written (a new message id, a chat
 * without settings, a rate counter) cost no read. Fixed size; false positives only cost a read.
 */
export class KeyFilter {
  private readonly bits: Uint32Array
  private readonly mask: number
  /** Keys added since the last reset: past `capacity` the false-positive rate climbs. */
  added = 0

  constructor(
    readonly capacity = 250_000,
    log2Bits = 22,
  ) {
    this.bits = new Uint32Array((1 << log2Bits) >>> 5)
    this.mask = (1 << log2Bits) - 1
  }

  private h1 = 0
  private h2 = 0

  /** Two FNV-1a variants, left in h1/h2 (no array per call); the k probes are h1 + i·h2 (Kirsch–Mitzenmacher). */
  private hash(key: string): void {
    let h1 = 0x811c9dc5
    let h2 = 0x01000193
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i)
      h1 = Math.imul(h1 ^ c, 0x01000193)
      h2 = Math.imul(h2 ^ c, 0x5bd1e995)
    }
    this.h1 = h1 >>> 0
    this.h2 = (h2 | 1) >>> 0
  }

  add(key: string): void {
    this.hash(key)
    for (let i = 0; i < 3; i++) {
      const bit = (this.h1 + i * this.h2) & this.mask
      this.bits[bit >>> 5] = (this.bits[bit >>> 5] as number) | (1 << (bit & 31))
    }
    this.added++
  }

  mightHave(key: string): boolean {
    this.hash(key)
    for (let i = 0; i < 3; i++) {
      const bit = (this.h1 + i * this.h2) & this.mask
      if (((this.bits[bit >>> 5] as number) & (1 << (bit & 31))) === 0) return false
    }
    return true
  }

  reset(): void {
    this.bits.fill(0)
    this.added = 0
  }
}
