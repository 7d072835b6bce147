import type { Keyspace } from './keyspaces.js'
import type { Store, StoreHealth } from './store.js'

/** A scope's name: what goes between a keyspace's prefix and the rest of a key. */
const SCOPE = /^[A-Za-z0-9_.-]{1,128}$/

/**
 * One tenant's view of a shared store: every key `space:rest` is kept as `space:<scope>/rest`,
 * so two scopes (two orgs of a third-party app) never read, list or delete each other's keys,
 * while each key stays in the keyspace its owner declared (same durability, same outage rule).
 * The owners keep writing their plain keys and never learn the scope.
 *
 * The keyspaces are declared once on the base store by the composition root; `declare` here only
 * checks that the scoped keys' spaces are among the known ones.
 */
export class ScopedStore implements Store {
  readonly kind: string
  readonly shared: boolean | undefined
  private readonly prefixes: readonly string[]
  private readonly tag: string

  constructor(
    private readonly base: Store,
    readonly scope: string,
    spaces: readonly Keyspace[],
  ) {
    if (!SCOPE.test(scope)) throw new Error(`scope "${scope.slice(0, 40)}" must be 1-128 of [A-Za-z0-9_.-]`)
    this.kind = base.kind
    this.shared = base.shared
    this.tag = `${scope}/`
    // Longest first: `livecard-lease:` is not `livecard:`.
    this.prefixes = [...new Set(spaces.map((s) => s.prefix))].sort((a, b) => b.length - a.length)
  }

  /** `space:rest` → `space:<scope>/rest`; a key of no known space is the base store's to refuse. */
  private map(key: string): string {
    const colon = key.indexOf(':')
    const prefix = colon < 0 ? '' : key.slice(0, colon + 1)
    if (!this.prefixes.includes(prefix)) return `${this.tag}${key}`
    return `${prefix}${this.tag}${key.slice(prefix.length)}`
  }

  private unmap(key: string): string {
    const colon = key.indexOf(':')
    const prefix = key.slice(0, colon + 1)
    return `${prefix}${key.slice(prefix.length + this.tag.length)}`
  }

  get(key: string): Promise<string | undefined> {
    return this.base.get(this.map(key))
  }
  set(key: string, value: string, ttlMs?: number): Promise<void> {
    return this.base.set(this.map(key), value, ttlMs)
  }
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.base.setIfAbsent(this.map(key), value, ttlMs)
  }
  compareAndSet(key: string, expected: string, value: string, ttlMs?: number): Promise<boolean> {
    return this.base.compareAndSet(this.map(key), expected, value, ttlMs)
  }
  compareAndDelete(key: string, expected: string): Promise<boolean> {
    return this.base.compareAndDelete(this.map(key), expected)
  }
  delete(key: string): Promise<void> {
    return this.base.delete(this.map(key))
  }
  deletePrefix(prefix: string): Promise<number> {
    return this.base.deletePrefix(this.map(prefix))
  }
  async entries(prefix: string): Promise<Array<[key: string, value: string]>> {
    const found = await this.base.entries(this.map(prefix))
    return found.map(([k, v]) => [this.unmap(k), v])
  }
  increment(key: string, ttlMs: number): Promise<number> {
    return this.base.increment(this.map(key), ttlMs)
  }
  declare(spaces: readonly Keyspace[]): void {
    const unknown = spaces.filter((s) => !this.prefixes.includes(s.prefix))
    if (unknown.length > 0)
      throw new Error(`scoped store: keyspaces ${unknown.map((s) => s.prefix).join(', ')} are not declared`)
  }
  health(): StoreHealth {
    return this.base.health?.() ?? { state: 'ok', detail: this.base.kind }
  }
  /** The base store is the app's: a tenant closing its view closes nothing. */
  async close(): Promise<void> {}
}
