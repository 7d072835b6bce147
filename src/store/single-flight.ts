/**
 * Concurrent callers asking for the same key share one execution of the work. A shared
 * implementation (a lock in a shared store) can replace it for several instances.
 */
export interface Flight {
  run<T>(key: string, work: () => Promise<T>): Promise<T>
}

export class LocalFlight implements Flight {
  private readonly inFlight = new Map<string, Promise<unknown>>()

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.inFlight.get(key)
    if (existing) return existing as Promise<T>
    const p = work().finally(() => this.inFlight.delete(key))
    this.inFlight.set(key, p)
    return p
  }
}
