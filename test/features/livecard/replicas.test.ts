import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { logsOf, startCluster } from '../../helpers/cluster.js'
import { redisUnreachable } from '../../helpers/redis.js'
import { callback } from '../../helpers/replicas.js'
import { chat } from '../watch/helpers.js'
import { cardEnv } from './helpers.js'

// Skipped, with the reason, only when the machine's Redis does not answer.
const noRedis = await redisUnreachable()
t.test(
  'two replicas on one Redis: one of them updates a live card per period, and it freezes once',
  { skip: noRedis ?? false },
  async (t) => {
    const { emu, replicas } = await startCluster(t, { env: cardEnv({ BOT_CARD_UPDATE_MS: '1500' }) })
    const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]]
    const c = chat(emu)
    await callback(a.botUrl, c.message('meeting 615902734'))
    const card = await emu.cards.waitFor(
      () => emu.cards.list().find((x) => x.space.id === c.conversationId),
      5000,
    )
    const active = Number(card.data.activeNum)
    const joins = ['Ann', 'Bo', 'Cy', 'Di', 'Ed', 'Flo', 'Gu']
    for (const nick of joins) {
      emu.timeline.join('615902734', nick)
      await sleep(600)
    }
    await emu.cards.waitFor(
      () => card.data.activeNum === String(active + joins.length),
      10_000,
      'the joins on the card',
    )
    const api = card.updates.filter((u) => u.by === 'api')
    const gaps = api.slice(1).map((u, i) => u.at - (api[i]?.at ?? 0))
    t.ok(gaps.length >= 2, `the card was updated ${api.length} times`)
    t.ok(
      gaps.every((g) => g >= 1400),
      `no two updates closer than BOT_CARD_UPDATE_MS though two replicas run: gaps ${gaps.join(', ')} ms`,
    )
    emu.timeline.end('615902734')
    await emu.cards.waitFor(() => card.data.live === 'false', 15_000, 'the frozen summary')
    await sleep(2000)
    t.equal(card.updates.filter((u) => u.data.live === 'false').length, 1, 'frozen by one replica, once')
    t.equal(logsOf(replicas, 'live card frozen').length, 1)
    t.equal(await a.stop(), 0)
    t.equal(await b.stop(), 0)
  },
)
