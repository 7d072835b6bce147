import { type Config, describeConfig } from '../config.js'
import { type Assembled, assemble, type Feature } from '../core/feature.js'
import type { ChatSettingsStore } from '../core/settings.js'
import { type Background, createFeatures, type FeatureDeps } from '../features/index.js'
import type { Logger } from '../logger.js'
import type { Store } from '../store/store.js'
import type { OrgPlatform } from './platform.js'
import type { Tuning } from './tuning.js'

export interface FeatureWiring {
  readonly config: Config
  readonly log: Logger
  readonly clock: () => number
  readonly tuning: Tuning
  /** The store the features keep their state in (one org's view of it, for a third-party app). */
  readonly store: Store
  readonly platform: OrgPlatform
  readonly settings: ChatSettingsStore
  /** What `/status` reads besides the features' own numbers: the app's, or one org's. */
  readonly status: Omit<FeatureDeps['status'], 'token' | 'usage'>
  /** Features after the bot's own (tests). */
  readonly extra?: readonly Feature[]
}

export interface WiredFeatures {
  readonly features: Assembled
  readonly background: Background[]
}

/** The bot's features over one platform and store: the app's (internal app), or one org's. */
export function wireFeatures(w: FeatureWiring): WiredFeatures {
  const { config, log, clock, tuning, store, platform, settings } = w
  const { features: own, background } = createFeatures({
    conferences: platform.conferences,
    store,
    flight: platform.flight,
    ttls: tuning.ttls,
    clock,
    settings,
    configView: () => describeConfig(config),
    log,
    notices: platform.notices,
    watch: config.watch,
    liveCards: config.cards.templateId
      ? {
          cards: platform.cards,
          settings: {
            templateId: config.cards.templateId,
            updateMs: config.cards.updateMs,
            liveMs: config.cards.liveMs,
            monthlyQuota: config.watch.monthlyQuota,
            quotaShare: config.cards.quotaShare,
            // Clicks come where the bot listens: as frames with a Stream connection, else by HTTP.
            callbackType: config.transports.includes('stream') ? 'STREAM' : 'HTTP',
            callbackRouteKey: config.cards.callbackRouteKey,
          },
        }
      : undefined,
    status: { ...w.status, token: platform.tokens, usage: platform.usage },
  })
  return { features: assemble([...own, ...(w.extra ?? [])]), background }
}
