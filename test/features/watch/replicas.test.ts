import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { EmulatorMeeting } from '../../../src/emulator/meetings.js'
import { logsOf, startCluster } from '../../helpers/cluster.js'
import { waitFor } from '../../helpers/index.js'
import { redisUnreachable } from '../../helpers/redis.js'
import { callback } from '../../helpers/replicas.js'
import { chat, noticesOf, textOf } from './helpers.js'

// Skipped, with the reason, only when the machine's Redis does not answer.
const noRedis = await redisUnreachable()
t.test(
  'two replicas on one Redis: one polls a meeting per period, each notice is posted once',
  { skip: noRedis ?? false },
  async (t) => {
    const { emu, replicas, raw, namespace } = await startCluster(t, {
      env: { BOT_WATCH_POLL_MS: '1000' },
      gateway: { events: false },
    })
    const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]]
    const soon: EmulatorMeeting = {
      conferenceId: 'abcdefabcdefabcdefab0001',
      roomCode: '864209753',
      title: 'Release review',
      status: 0,
      startTime: Date.now() + 5 * 60_000,
      creatorNick: 'Han Meimei',
      invitedNum: 4,
      externalLinkUrl: 'https://meeting.dingtalk.com/app?roomCode=864209753',
    }
    emu.meetings.push(soon)
    const c = chat(emu)
    t.match(textOf(await callback(a.botUrl, c.message('watch 864 209 753'))), 'Watching **Release review**')
    t.ok(
      await raw.get(`${namespace}watch:${soon.conferenceId}:${encodeURIComponent(c.conversationId)}`),
      'in Redis',
    )

    const polls = emu.count('conference.info')
    await sleep(4000)
    const inFour = emu.count('conference.info') - polls
    t.ok(
      inFour >= 2 && inFour <= 6,
      `one poll a second between both replicas, not one each (${inFour} in 4 s)`,
    )

    emu.timeline.start(soon.roomCode)
    await waitFor(() => noticesOf(emu, c, /has started/).length >= 1, 8000, 'the started notice')
    emu.timeline.join(soon.roomCode, 'Han Meimei', { host: true })
    emu.timeline.end(soon.roomCode)
    await waitFor(() => noticesOf(emu, c, /has ended/).length >= 1, 8000, 'the ended notice')
    await sleep(2500) // room for a second copy to show up, if there were one
    t.equal(noticesOf(emu, c, /has started/).length, 1, 'one started notice')
    t.equal(noticesOf(emu, c, /has ended/).length, 1, 'one ended notice')
    t.equal(logsOf(replicas, 'watch notice sent').length, 2, 'sent by one replica each time')
    t.equal(await a.stop(), 0)
    t.equal(await b.stop(), 0)
  },
)
