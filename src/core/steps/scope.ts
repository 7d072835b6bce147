import type { Step } from '../pipeline.js'

/** A flow the scope step hands an item to: the steps that serve one scope (one org's features). */
export type ScopedFlow<C> = (ctx: C) => Promise<void>

/**
 * The rest of the flow depends on whose item it is: a third-party app serves many orgs, each
 * with its own features and state. `select` picks the flow that serves this item, or throws why
 * none can (the step above, an error boundary, answers that honestly). The last step of a flow:
 * what comes after it is the selected flow.
 */
export function scoped<C>(select: (ctx: C) => ScopedFlow<C> | Promise<ScopedFlow<C>>): Step<C> {
  return async (ctx) => {
    const flow = await select(ctx)
    await flow(ctx)
  }
}
