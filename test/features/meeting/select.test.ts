import t from 'tap'
import type { ConferenceSummary } from '../../../src/dingtalk/conference.js'
import { chooseConference } from '../../../src/features/meeting/select.js'

const c = (id: string, status: 0 | 1 | 2, startTime: number, endTime?: number): ConferenceSummary => ({
  conferenceId: id,
  status,
  startTime,
  ...(endTime ? { endTime } : {}),
})

t.test('in progress wins, the latest started first', async (t) => {
  const r = chooseConference([
    c('ended', 1, 1, 2),
    c('live-old', 2, 10),
    c('live-new', 2, 20),
    c('next', 0, 30),
  ])
  t.same([r?.chosen.conferenceId, r?.choice], ['live-new', 'inProgress'])
})

t.test('else the next not started', async (t) => {
  const r = chooseConference([c('ended', 1, 1, 2), c('later', 0, 50), c('sooner', 0, 30)])
  t.same([r?.chosen.conferenceId, r?.choice], ['sooner', 'upcoming'])
})

t.test('else the one that ended last', async (t) => {
  const r = chooseConference([c('a', 1, 1, 5), c('b', 1, 2, 9), c('c', 1, 3, 7)])
  t.same([r?.chosen.conferenceId, r?.choice], ['b', 'latestEnded'])
})

t.test('nothing for an empty list', async (t) => {
  t.equal(chooseConference([]), undefined)
})
