import { randomInt } from 'node:crypto'

// No 0/O or 1/I/L: people read these ids aloud and type them into log searches.
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'

/** A short reference id that ties a user-facing error to its log line. */
export function newRefId(length = 6): string {
  let id = ''
  for (let i = 0; i < length; i++) id += ALPHABET[randomInt(ALPHABET.length)]
  return id
}
