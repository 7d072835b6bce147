import t from 'tap'
import { DingTalkEmulator } from '../../../src/emulator/emulator.js'
import { sampleMeetings } from '../../../src/emulator/meetings.js'
import { CLIENT_ID, SECRET, signedHeaders, waitFor } from '../../helpers/index.js'
import { startReplicaOnPort, tempDir } from '../../helpers/process.js'
import { freePort } from '../../helpers/redis.js'
import { chat, noticesOf, textOf } from './helpers.js'

/**
 * The real entry point as a child process, killed with SIGKILL right after it confirmed a watch
 * and again after it posted the started notice: the watch is a confirmed keyspace, so it comes
 * back with the next process on the same DATA_DIR, and the notices it posted are not posted again.
 */
t.test('a confirmed watch survives SIGKILL of the real entry point; each notice once', async (t) => {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: sampleMeetings(Date.now()),
  })
  t.teardown(() => emu.close())
  const env = {
    DINGTALK_CLIENT_ID: CLIENT_ID,
    DINGTALK_CLIENT_SECRET: SECRET,
    DINGTALK_API_BASE: emu.baseUrl,
    DINGTALK_OAPI_BASE: emu.baseUrl,
    DINGTALK_TRANSPORTS: 'stream,http',
    DATA_DIR: tempDir(t, 'meeting-bot-watch-kill-'),
    BOT_WATCH_POLL_MS: '1000',
    LOG_LEVEL: 'warn',
  }
  const c = chat(emu)
  const boot = async () => {
    const bot = await startReplicaOnPort(t, env, await freePort(), { timeoutMs: 30_000 })
    const ask = async (text: string) => {
      const res = await fetch(`${bot.botUrl}/dingtalk/callback`, {
        method: 'POST',
        headers: signedHeaders(),
        body: JSON.stringify(c.message(text)),
      })
      return textOf((await res.json()) as Record<string, unknown>)
    }
    return { bot, ask }
  }

  const first = await boot()
  t.match(await first.ask('watch 372615948'), 'Watching **Design sync**')
  first.bot.proc.kill('SIGKILL')
  await first.bot.exited

  const second = await boot()
  t.match(
    await second.ask('watches'),
    '- **Design sync** (372 615 948)',
    'the watch came back after the kill',
  )
  emu.timeline.start('372615948')
  await waitFor(() => noticesOf(emu, c, /has started/).length === 1, 10_000, 'the started notice')
  second.bot.proc.kill('SIGKILL')
  await second.bot.exited

  emu.timeline.end('372615948')
  const third = await boot()
  await waitFor(() => noticesOf(emu, c, /has ended/).length === 1, 10_000, 'the ended notice')
  await new Promise((r) => setTimeout(r, 1500))
  t.equal(noticesOf(emu, c, /has started/).length, 1, 'the started notice was not posted again')
  t.equal(noticesOf(emu, c, /has ended/).length, 1, 'the ended notice once')
  t.equal(await third.bot.stop(), 0, 'the last process stops cleanly')
})
