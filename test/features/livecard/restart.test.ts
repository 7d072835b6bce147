import t from 'tap'
import { createApp } from '../../../src/app/index.js'
import { DingTalkEmulator } from '../../../src/emulator/emulator.js'
import { sampleMeetings } from '../../../src/emulator/meetings.js'
import { CLIENT_ID, captureLogger, FAST, SECRET, signedHeaders, testConfig } from '../../helpers/index.js'
import { tempDir } from '../../helpers/process.js'
import { chat } from '../watch/helpers.js'
import { cardEnv } from './helpers.js'

t.test(
  'a live card stays live across a restart on the same DATA_DIR, and freezes once at the end',
  async (t) => {
    const dataDir = tempDir(t)
    const emu = await DingTalkEmulator.start({
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      meetings: sampleMeetings(Date.now()),
    })
    t.teardown(() => emu.close())
    const c = chat(emu)
    /** The app as production builds it: the SQLite store under DATA_DIR, nothing injected. */
    const boot = async () => {
      const app = await createApp({
        config: testConfig(emu, cardEnv({ DATA_DIR: dataDir })),
        log: captureLogger().log,
        tuning: FAST,
      })
      const url = await app.server.listen({ host: '127.0.0.1', port: 0 })
      return { app, url }
    }
    const first = await boot()
    await fetch(`${first.url}/dingtalk/callback`, {
      method: 'POST',
      headers: signedHeaders(),
      body: JSON.stringify(c.message('meeting 615902734')),
    })
    const card = await emu.cards.waitFor(
      () => emu.cards.list().find((x) => x.space.id === c.conversationId),
      5000,
    )
    const active = Number(card.data.activeNum)
    await first.app.stop()

    emu.timeline.join('615902734', 'While nobody ran') // the bot is down
    const second = await boot()
    t.teardown(() => second.app.stop())
    await emu.cards.waitFor(
      () => card.data.activeNum === String(active + 1),
      8000,
      'the join, after the restart',
    )
    t.pass('the card kept updating after the restart')
    emu.timeline.end('615902734')
    await emu.cards.waitFor(() => card.data.live === 'false', 10_000, 'the frozen summary')
    t.equal(card.updates.filter((u) => u.data.live === 'false').length, 1, 'frozen once')
    t.equal(emu.cards.list().filter((x) => x.space.id === c.conversationId).length, 1, 'still one card')
  },
)
