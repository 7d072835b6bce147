import { spawn } from 'node:child_process'
import t, { type Test } from 'tap'
import { createApp } from '../../src/app/index.js'
import { ChatClient } from '../../src/chat/client.js'
import { renderReply } from '../../src/chat/render.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { sampleMeetings } from '../../src/emulator/meetings.js'
import { EMULATED_USERS } from '../../src/emulator/messages.js'
import { MemoryStore } from '../../src/store/memory.js'
import { CLIENT_ID, captureLogger, FAST, SECRET, testConfig, waitFor } from '../helpers/index.js'
import { cleanEnv, ROOT } from '../helpers/process.js'

/** A bot in emulator mode's wiring: the emulator with its control API, the bot polling every second. */
async function playground(t: Test) {
  let botUrl = ''
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: sampleMeetings(Date.now()),
    control: {
      info: () => ({
        clientId: CLIENT_ID,
        clientSecret: SECRET,
        robotCode: CLIENT_ID,
        botUrl,
        transports: ['http'],
        meetings: [],
      }),
    },
  })
  const app = await createApp({
    config: testConfig(emu, { BOT_WATCH_POLL_MS: '1000' }),
    log: captureLogger().log,
    tuning: { ...FAST, inlineDeadlineMs: 300 },
    store: new MemoryStore(),
  })
  botUrl = await app.server.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => {
    await app.stop()
    await emu.close()
  })
  return emu
}

const GROUP = { user: EMULATED_USERS.user, conversation: 'group', transport: 'http' } as const

t.test('the chat client hears what the bot posts on its own, and not its answers', async (t) => {
  const emu = await playground(t)
  const client = new ChatClient(emu.baseUrl, 3000)
  const answer = await client.send('watch 372615948', GROUP)
  t.match(renderReply(answer.reply, { color: false }), 'Watching Design sync (372 615 948)')
  // A slow answer comes by the session webhook, like a notice would: it is the answer, not a notice.
  emu.fail('conference.byRoomCode', { delayMs: 700 })
  const slow = await client.send('meeting 615902734', GROUP)
  t.equal(slow.via, 'webhook')
  t.same(await client.notices(GROUP, 200), [], 'no notice yet; the webhook answer is not one')
  emu.timeline.start('372615948')
  const [notice] = await client.notices(GROUP, 5000)
  t.match(notice, { via: 'webhook' })
  const text = renderReply(notice?.body, { color: false })
  t.match(text, 'Design sync has started')
  t.match(text, '[ Join meeting ] https://meeting.dingtalk.com/app?roomCode=372615948')
  t.same(await client.notices(GROUP, 200), [], 'each notice once')
})

t.test('npm run chat prints a notice when it arrives, between answers', async (t) => {
  const emu = await playground(t)
  const chat = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/chat/main.ts', '--emulator', emu.baseUrl, '--no-color'],
    {
      cwd: ROOT,
      env: cleanEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
  let out = ''
  chat.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const exited = new Promise<number | null>((r) => chat.on('exit', r))
  t.teardown(() => {
    if (chat.exitCode === null) chat.kill('SIGKILL')
  })
  await waitFor(() => out.includes('Chatting with the bot'), 15_000, 'the chat to start')
  chat.stdin.write('watch 372615948\n')
  await waitFor(() => out.includes('Watching Design sync'), 10_000, 'the answer')
  t.notMatch(out, '🔔', 'the answer is no notice')
  emu.timeline.start('372615948')
  await waitFor(() => out.includes('has started'), 10_000, 'the notice')
  t.match(
    out,
    '🔔 the bot posted:\n🟢 Design sync has started',
    'headed as a notice, rendered as DingTalk shows it',
  )
  t.match(out, '(notice, webhook)')
  chat.stdin.write(':quit\n')
  t.equal(await exited, 0, 'quits at once, the notice watch included')
})
