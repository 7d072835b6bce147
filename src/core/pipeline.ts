/** Runs the rest of the flow; a step awaits it to act after the steps below it (deliver, report). */
export type Next = () => Promise<void>

/** One small job in the flow of an inbound message (de-dup, deliver, route...). */
export type Step<C> = (ctx: C, next: Next) => Promise<void>

const DONE = Promise.resolve()

/**
 * The steps as one function, composed once at start-up: each step gets the context and `next`
 * (the steps after it). A step that does not call `next` ends the flow there (a duplicate, a
 * refusal); calling it twice is a bug and rejects.
 */
export function compose<C>(steps: readonly Step<C>[]): (ctx: C) => Promise<void> {
  return (ctx) => {
    let reached = -1
    const dispatch = (i: number): Promise<void> => {
      if (i <= reached) return Promise.reject(new Error('next() called more than once'))
      reached = i
      const step = steps[i]
      if (!step) return DONE
      try {
        return step(ctx, () => dispatch(i + 1))
      } catch (err) {
        return Promise.reject(err)
      }
    }
    return dispatch(0)
  }
}
