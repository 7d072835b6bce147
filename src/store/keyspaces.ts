/**
 * Every key the bot stores belongs to a keyspace its owner declares: the dedupe ledger, chat
 * settings, the meeting cache, counters, locks. A store never guesses what a key is from its
 * name or its TTL; it asks the declaration. No file in `store/` names a domain prefix.
 */
export interface Keyspace {
  /** The key's first segment and its colon, `[a-z][a-z0-9-]*:` (single flight's locks: `lock:`). */
  readonly prefix: string
  /** Who owns the keys (a module or feature), for errors and docs. */
  readonly owner: string
  /**
   * What a single instance's store (SQLite under `DATA_DIR`) keeps across a restart:
   * - `volatile`: memory only; gone with the process, by design (rate windows, locks);
   * - `behind`: written to the file within milliseconds; a crash may lose the last batch;
   * - `confirmed`: a write resolves only once it is committed to the file, so whatever the bot
   *   says after it has happened survives a crash.
   */
  readonly persistence: 'volatile' | 'behind' | 'confirmed'
  /**
   * While the shared store (Redis) is away the instance runs on local memory. When it returns:
   * - `drop`: what was written locally meanwhile is forgotten (caches, counters, locks);
   * - `add`: written back where the shared store has no value; the shared value wins a conflict;
   * - `mirror`: also kept locally while the shared store works (an outage does not lose it), and
   *   what changed meanwhile is written back over the shared value.
   */
  readonly outage: 'drop' | 'add' | 'mirror'
}

const PREFIX = /^[a-z][a-z0-9-]*:$/

/** A key that no declared keyspace owns: a programming error, never user input. */
export class UndeclaredKeyError extends Error {
  constructor(key: string) {
    super(`no keyspace declared for key "${key.slice(0, 60)}"`)
    this.name = 'UndeclaredKeyError'
  }
}

/** The declared keyspaces, looked up by a key's first segment (one map lookup per operation). */
export class Keyspaces {
  private readonly byPrefix = new Map<string, Keyspace>()

  constructor(spaces: readonly Keyspace[] = []) {
    this.declare(spaces)
  }

  /** Adds declarations; the same declaration twice is fine, a different one for a prefix is not. */
  declare(spaces: readonly Keyspace[]): void {
    for (const s of spaces) {
      if (!PREFIX.test(s.prefix)) throw new Error(`keyspace prefix "${s.prefix}" must look like "name:"`)
      const known = this.byPrefix.get(s.prefix)
      if (known && known !== s && JSON.stringify(known) !== JSON.stringify(s)) {
        throw new Error(`keyspace "${s.prefix}" is declared twice (${known.owner}, ${s.owner})`)
      }
      this.byPrefix.set(s.prefix, s)
    }
  }

  /** The keyspace that owns `key`; throws `UndeclaredKeyError` for a key nobody declared. */
  of(key: string): Keyspace {
    const colon = key.indexOf(':')
    const space = colon > 0 ? this.byPrefix.get(key.slice(0, colon + 1)) : undefined
    if (!space) throw new UndeclaredKeyError(key)
    return space
  }

  /** The declared keyspaces, in declaration order. */
  all(): Keyspace[] {
    return [...this.byPrefix.values()]
  }
}
