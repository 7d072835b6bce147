import t from 'tap'
import { createApp } from '../../../src/app/index.js'
import { DingTalkEmulator } from '../../../src/emulator/emulator.js'
import { sampleMeetings } from '../../../src/emulator/meetings.js'
import {
  CLIENT_ID,
  captureLogger,
  FAST,
  SECRET,
  signedHeaders,
  testConfig,
  waitFor,
} from '../../helpers/index.js'
import { tempDir } from '../../helpers/process.js'
import { chat, noticesOf, textOf } from './helpers.js'

t.test('a watch survives restarts of the app on the same DATA_DIR; each notice is posted once', async (t) => {
  const dataDir = tempDir(t)
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: sampleMeetings(Date.now()),
  })
  t.teardown(() => emu.close())
  /** The app as production builds it: the SQLite store under DATA_DIR, nothing injected. */
  const boot = async () => {
    const app = await createApp({
      config: testConfig(emu, { DATA_DIR: dataDir, BOT_WATCH_POLL_MS: '1000' }),
      log: captureLogger().log,
      tuning: FAST,
    })
    const url = await app.server.listen({ host: '127.0.0.1', port: 0 })
    const ask = async (text: string) => {
      const res = await fetch(`${url}/dingtalk/callback`, {
        method: 'POST',
        headers: signedHeaders(),
        body: JSON.stringify(c.message(text)),
      })
      return textOf((await res.json()) as Record<string, unknown>)
    }
    return { app, ask }
  }
  const c = chat(emu)
  const first = await boot()
  t.match(await first.ask('watch 372615948'), 'Watching **Design sync**')
  await first.app.stop()

  emu.timeline.start('372615948') // while no bot runs
  const second = await boot()
  t.match(await second.ask('watches'), '- **Design sync** (372 615 948)', 'still watched after the restart')
  await waitFor(() => noticesOf(emu, c, /has started/).length === 1, 5000, 'the started notice')
  await second.app.stop()

  emu.timeline.end('372615948')
  const third = await boot()
  t.teardown(() => third.app.stop())
  await waitFor(() => noticesOf(emu, c, /has ended/).length === 1, 5000, 'the ended notice')
  await new Promise((r) => setTimeout(r, 1500))
  t.equal(noticesOf(emu, c, /has started/).length, 1, 'the started notice was not posted again')
  t.equal(noticesOf(emu, c, /has ended/).length, 1)
  t.match(await third.ask('watches'), 'This chat watches no meetings.')
})
