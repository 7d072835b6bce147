import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { chat, cleanEnv, run, startBot, tempDir } from '../helpers/process.js'

t.test('no credentials: npm start runs against the emulator and the chat gets live cards', async (t) => {
  const bot = await startBot(t, { DATA_DIR: tempDir(t) })
  t.match(bot.stdout(), 'EMULATOR MODE')
  t.match(bot.stdout(), /615 902 734\s+in progress\s+Sprint 43 retrospective/)
  t.match(bot.stdout(), /728 301 956\s+3 meetings \(recurring\)/)
  t.match(bot.stdout(), /999 999 999\s+does not exist/)
  t.match(bot.stdout(), 'npm run chat')
  t.match(bot.stdout(), 'Meeting answers are live cards')

  const viaHttp = await chat(bot.emulatorUrl, ['--no-color', 'meeting 615902734'])
  t.equal(viaHttp.code, 0, viaHttp.stderr)
  t.match(viaHttp.stdout, /^Sprint 43 retrospective\n.*Status: 🟢 In progress\n/)
  t.match(viaHttp.stdout, '5 in the meeting now · 6 joined in total · 14 invited')
  t.match(viaHttp.stdout, /Live · updated \d\d:\d\d/)
  t.match(
    viaHttp.stdout,
    '[Refresh] [Members] [Watch] [Join ↗ https://meeting.dingtalk.com/app?roomCode=615902734',
  )
  t.match(viaHttp.stdout, /\(card, \d+ ms\)/)

  const viaStream = await chat(bot.emulatorUrl, ['--via', 'stream', '--in', 'single', '会议 728 301 956'])
  t.equal(viaStream.code, 0, viaStream.stderr)
  t.match(viaStream.stdout, 'Weekly stand-up')
  t.match(viaStream.stdout, '进行中')
  t.match(viaStream.stdout, '该会议号对应 3 场会议')
  t.match(viaStream.stdout, '[刷新] [参会人] [关注]')
  t.match(viaStream.stdout, /\(card, \d+ ms\)/)

  const forbidden = await chat(bot.emulatorUrl, ['meeting 100 200 300'])
  t.match(forbidden.stdout, /not allowed to read this meeting.*\(ref [2-9A-Z]{6}\)/)
  const missing = await chat(bot.emulatorUrl, ['--json', 'meeting 999999999'])
  t.match(JSON.parse(missing.stdout), { msgtype: 'text', text: { content: /No meeting found/ } })

  t.equal(await bot.stop(), 0, 'SIGTERM: clean exit')
  t.match(bot.stdout(), '"msg":"stopped"')
})

t.test(
  'DINGTALK_CARD_TEMPLATE_ID= (empty): markdown cards, as a deployment without a template gets',
  async (t) => {
    const bot = await startBot(t, { DATA_DIR: tempDir(t), DINGTALK_CARD_TEMPLATE_ID: '' })
    t.match(bot.stdout(), 'live cards are off')
    const viaHttp = await chat(bot.emulatorUrl, ['--no-color', 'meeting 615902734'])
    t.equal(viaHttp.code, 0, viaHttp.stderr)
    t.match(viaHttp.stdout, /^Sprint 43 retrospective\n• Status: 🟢 In progress\n/)
    t.match(viaHttp.stdout, '5 in the meeting now · 6 joined in total · 14 invited')
    t.match(viaHttp.stdout, '[ Join meeting ] https://meeting.dingtalk.com/app?roomCode=615902734')
    t.match(viaHttp.stdout, '@Li Lei', 'the mention shows the name, as DingTalk does')
    t.match(viaHttp.stdout, /\(inline, \d+ ms\)/)
    const viaStream = await chat(bot.emulatorUrl, ['--via', 'stream', '--in', 'single', '会议 728 301 956'])
    t.match(viaStream.stdout, '该会议号对应 3 场会议')
    t.match(viaStream.stdout, /\(webhook, \d+ ms\)/)
    t.notMatch(viaStream.stdout, '@', 'no mention in a one-to-one chat')
    t.equal(await bot.stop(), 0)
  },
)

t.test('the chat says clearly when the bot is not running', async (t) => {
  const r = await chat('http://127.0.0.1:9', ['meeting 615902734'])
  t.equal(r.code, 1)
  t.match(
    r.stderr,
    /cannot reach the bot's DingTalk emulator at http:\/\/127\.0\.0\.1:9\. Is the bot running\? Start it with "npm start"/,
  )
  const bad = await chat('http://127.0.0.1:9', ['--via', 'pigeon', 'hi'])
  t.equal(bad.code, 1)
  t.match(bad.stderr, '--via must be http or stream')
})

t.test('NODE_ENV=production without credentials refuses to start and says what is missing', async (t) => {
  const r = await run(['--import', 'tsx', 'src/main.ts'], cleanEnv({ NODE_ENV: 'production', PORT: '0' }))
  t.equal(r.code, 1)
  t.match(
    r.stderr,
    'DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET are required (NODE_ENV=production never falls back to the emulator)',
  )
  t.notMatch(r.stdout, 'EMULATOR MODE')
})

t.test('a meetings file extends the samples; a bad one is rejected by name', async (t) => {
  const dir = tempDir(t)
  const good = join(dir, 'meetings.json')
  writeFileSync(
    good,
    JSON.stringify({
      mode: 'extend',
      meetings: [
        {
          conferenceId: 'abcdefabcdefabcdefabcdef',
          roomCode: '246813579',
          title: 'My own meeting',
          status: 2,
          startInMinutes: -3,
          activeNum: 2,
        },
      ],
    }),
  )
  const bot = await startBot(t, { DATA_DIR: dir, EMULATOR_MEETINGS_FILE: good, DINGTALK_TRANSPORTS: 'http' })
  t.match(bot.stdout(), /246 813 579\s+in progress\s+My own meeting/)
  t.match(bot.stdout(), /615 902 734/, 'samples kept')
  const r = await chat(bot.emulatorUrl, ['meeting 246813579'])
  t.match(r.stdout, 'My own meeting')
  t.match(r.stdout, '2 in the meeting now')
  const streamless = await chat(bot.emulatorUrl, ['--via', 'stream', 'help'])
  t.equal(streamless.code, 1)
  t.match(streamless.stderr, 'the bot does not run the stream transport (it runs: http)')
  await bot.stop()

  const bad = join(dir, 'bad.json')
  writeFileSync(
    bad,
    JSON.stringify([{ conferenceId: 'nope', roomCode: '1', title: 'x', status: 2, startTime: 0 }]),
  )
  const refused = await run(
    ['--import', 'tsx', 'src/main.ts'],
    cleanEnv({ EMULATOR_MEETINGS_FILE: bad, PORT: '0', EMULATOR_PORT: '0', DATA_DIR: dir }),
  )
  t.equal(refused.code, 1)
  t.match(refused.stderr, `meetings file ${bad}: meetings[0]: conferenceId must be 24 hex characters`)
})
