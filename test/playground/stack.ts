import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { multistream } from 'pino'
import { buildPlayground } from '../../scripts/build-playground.mjs'
import { type Running, start } from '../../src/app/runtime.js'
import { loadConfig } from '../../src/config.js'
import { LogTap } from '../../src/emulator/log-tap.js'
import { createLogger } from '../../src/logger.js'
import { tempDir } from '../helpers/process.js'

/** A meeting whose title would run a script if the page ever handed it to the DOM as HTML. */
export const XSS_ROOM = '246813579'
export const XSS_TITLE =
  '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> Launch review'

/**
 * The bot as `npm start` runs it without credentials (runtime.start: the emulator in the same
 * process, the log teed into its feed), with a freshly built playground, live cards updating
 * every second, a BOT_ADMINS staff id and one extra meeting titled with markup.
 */
export async function startPlayground(
  t: { teardown(fn: () => unknown): void },
  env: Record<string, string> = {},
): Promise<Running & { lines: Array<Record<string, unknown>> }> {
  const dir = tempDir(t, 'meeting-bot-playground-')
  const root = join(dir, 'playground')
  await buildPlayground(root)
  const meetings = join(dir, 'meetings.json')
  writeFileSync(
    meetings,
    JSON.stringify({
      mode: 'extend',
      meetings: [
        {
          conferenceId: 'abcdefabcdefabcdefab0246',
          roomCode: XSS_ROOM,
          title: XSS_TITLE,
          status: 2,
          startInMinutes: -10,
          creatorNick: '<b>Mallory</b>',
          activeNum: 1,
          attendNum: 1,
          invitedNum: 3,
          externalLinkUrl: `https://meeting.dingtalk.com/app?roomCode=${XSS_ROOM}`,
        },
      ],
    }),
  )
  const config = loadConfig({
    PORT: '0',
    EMULATOR_PORT: '0',
    DATA_DIR: join(dir, 'data'),
    LOG_LEVEL: 'info',
    BOT_CARD_UPDATE_MS: '1000',
    BOT_ADMINS: 'boss0001',
    EMULATOR_MEETINGS_FILE: meetings,
    ...env,
  })
  const lines: Array<Record<string, unknown>> = []
  const logTap = new LogTap()
  const log = createLogger(
    'info',
    multistream([
      { level: 'info', stream: logTap },
      { level: 'info', stream: { write: (l: string) => void lines.push(JSON.parse(l)) } },
    ]),
  )
  const running = await start(config, log, { logTap, playgroundRoot: root })
  // Stopped by the test or at its end, once.
  let stopped: Promise<void> | undefined
  const stop = () => {
    stopped ??= running.stop()
    return stopped
  }
  t.teardown(stop)
  // Ready: the stream connected (messages over Stream need it), the callbacks accepted.
  const deadline = Date.now() + 10_000
  while (!running.app.readiness.report().ready) {
    if (Date.now() > deadline) throw new Error('the bot did not get ready within 10 s')
    await new Promise((r) => setTimeout(r, 20))
  }
  return { ...running, stop, lines }
}
