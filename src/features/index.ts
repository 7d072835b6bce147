import type { Feature } from '../core/feature.js'
import { type AdminDeps, adminFeature } from './admin/index.js'
import { helpFeature } from './help/index.js'
import { type MeetingDeps, meetingFeature } from './meeting/index.js'
import { platformFeature } from './platform/index.js'

export interface FeatureDeps extends MeetingDeps, Omit<AdminDeps, 'status'> {
  /** `/status` reads the meeting cache's numbers from the meeting feature, the rest from here. */
  readonly status: Omit<AdminDeps['status'], 'cache'>
}

/**
 * Every feature the bot has, in the order help lists their commands. A new feature is a folder
 * and one line here.
 */
export function createFeatures(deps: FeatureDeps): Feature[] {
  const meeting = meetingFeature(deps)
  return [
    meeting,
    helpFeature(),
    adminFeature({ ...deps, status: { ...deps.status, cache: meeting.service } }),
    platformFeature(),
  ]
}
