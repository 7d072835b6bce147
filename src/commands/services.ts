import type { MeetingService } from '../meeting/service.js'

/** What commands may use; built once by the composition root. */
export interface Services {
  readonly meetings: MeetingService
}
