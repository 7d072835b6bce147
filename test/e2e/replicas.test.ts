import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { RobotMessagePayload } from '../../src/dingtalk/robot-message.js'
import { answersTo, logsOf, startCluster } from '../helpers/cluster.js'
import { waitFor } from '../helpers/index.js'
import { callback, question } from '../helpers/replicas.js'

// Two real bot processes, one emulator, one Redis (the machine's, under a prefix of this test).
t.test(
  'two replicas: 200 asks make one token call and one call per conference API; duplicates across transports are answered once',
  async (t) => {
    const { emu, replicas, raw, namespace } = await startCluster(t)
    const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]]

    // Slow DingTalk, so every ask is in flight on both replicas at once.
    emu.fail('token', { delayMs: 200 })
    emu.fail('conference.byRoomCode', { delayMs: 300 })
    const inline = new Map<string, Record<string, unknown>>()
    const msgs: RobotMessagePayload[] = []
    const sends: Promise<unknown>[] = []
    for (let i = 0; i < 200; i++) {
      const msg = question(emu)
      msgs.push(msg)
      const target = i % 4 < 2 ? a : b
      if (i % 2 === 0) {
        sends.push(callback(target.botUrl, msg).then((body) => inline.set(msg.msgId, body)))
      } else {
        emu.stream.push(msg, { connection: target.connection })
      }
    }
    await Promise.all(sends)
    await waitFor(() => msgs.every((m) => answersTo(emu, m, inline) >= 1), 15_000, 'every ask answered')
    t.equal(emu.count('token'), 1, 'one token fetch for both replicas')
    t.equal(emu.count('conference.byRoomCode'), 1, 'one room lookup')
    t.equal(emu.count('conference.info'), 1, 'one conference lookup')
    t.ok(
      logsOf([a], 'message handled').length > 50 && logsOf([b], 'message handled').length > 50,
      'both replicas answered their share',
    )

    t.comment(
      `200 asks: token ${emu.count('token')}, byRoomCode ${emu.count('conference.byRoomCode')}, info ${emu.count('conference.info')}; ` +
        `handled by A ${logsOf([a], 'message handled').length}, by B ${logsOf([b], 'message handled').length}`,
    )

    // The same message delivered to both: over HTTP to one, over the stream to the other.
    const dupes = Array.from({ length: 10 }, () => question(emu))
    await Promise.all(
      dupes.map((msg, i) => {
        const [http, stream] = i % 2 ? [a, b] : [b, a]
        emu.stream.push(msg, { connection: stream.connection })
        return callback(http.botUrl, msg).then((body) => inline.set(msg.msgId, body))
      }),
    )
    await waitFor(() => dupes.every((m) => answersTo(emu, m, inline) >= 1), 10_000, 'duplicates answered')
    await sleep(300) // room for a second answer to show up, if there were one
    const all = [...msgs, ...dupes]
    t.same(
      all.filter((m) => answersTo(emu, m, inline) !== 1).map((m) => m.msgId),
      [],
      'every message answered exactly once',
    )
    t.equal(logsOf(replicas, 'duplicate delivery ignored').length, 10, 'one of each pair was ignored')
    t.equal(await raw.get(`${namespace}dedupe:${dupes[0]?.msgId}`), 'done')
    t.notMatch(a.stdout() + b.stdout(), SECRET_PATTERN, 'no token or secret in the logs')

    t.equal(await a.stop(), 0)
    t.equal(await b.stop(), 0)
  },
)

const SECRET_PATTERN = /GT-lsu-taDAxxxsTsxxxx-test-secret/
