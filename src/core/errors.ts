import type { Localized } from './locale.js'
import { coreStrings } from './strings.js'

export type FailureLevel = 'info' | 'warn' | 'error'

/** What the user is told about an error, and how loudly it is logged. */
export interface Failure {
  /** A stable name for logs and tests (`notFound`, `busy`, `internal`). */
  readonly key: string
  /** A missing meeting is the user's business (info), a crash is ours (error). */
  readonly level: FailureLevel
  readonly text: Localized
}

/** A feature's reading of an error it knows; undefined for errors it does not. */
export type ExplainFailure = (err: unknown) => Failure | undefined

/** An error that carries its own user text: a feature throws it for a condition it recognises. */
export class UserFacingError extends Error {
  constructor(
    message: string,
    readonly failure: Failure,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'UserFacingError'
  }
}

const INTERNAL: Failure = {
  key: 'internal',
  level: 'error',
  text: { en: coreStrings('en').internalError, 'zh-CN': coreStrings('zh-CN').internalError },
}

/**
 * Errors become user text here and nowhere else. The core knows no feature's errors: features
 * register how to read theirs (`Feature.failures`); anything nobody recognises is ours (`internal`).
 */
export class Failures {
  constructor(readonly rules: readonly ExplainFailure[]) {}

  explain(err: unknown): Failure {
    if (err instanceof UserFacingError) return err.failure
    for (const rule of this.rules) {
      const failure = rule(err)
      if (failure) return failure
    }
    return INTERNAL
  }
}
