import t from 'tap'
import { createApp } from '../../src/app/index.js'
import { ChatClient } from '../../src/chat/client.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { EMULATED_USERS, emulatedUser } from '../../src/emulator/messages.js'
import { MemoryStore } from '../../src/store/memory.js'
import {
  CLIENT_ID,
  captureLogger,
  FAST,
  FAST_STREAM,
  fixtureMeetings,
  SECRET,
  testConfig,
} from '../helpers/index.js'

// The terminal chat against an in-process bot and emulator: the same wiring as emulator mode.
t.test('chat client over both transports, through the emulator control API', async (t) => {
  let botUrl = ''
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: fixtureMeetings(),
    control: {
      info: () => ({
        clientId: CLIENT_ID,
        clientSecret: SECRET,
        robotCode: CLIENT_ID,
        botUrl,
        transports: ['stream', 'http'],
        meetings: [],
      }),
    },
  })
  const app = await createApp({
    config: testConfig(emu, { DINGTALK_TRANSPORTS: 'stream,http' }),
    log: captureLogger().log,
    tuning: { ...FAST, stream: FAST_STREAM, inlineDeadlineMs: 300 },
    store: new MemoryStore(),
  })
  botUrl = await app.server.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => {
    await app.stop()
    await emu.close()
  })
  await emu.stream.waitFor(() => app.stream?.status().state === 'connected')
  const client = new ChatClient(emu.baseUrl, 3000)
  t.match(await client.connect(), { botUrl, transports: ['stream', 'http'] })

  const http = await client.send('meeting 615902734', {
    user: EMULATED_USERS.user,
    conversation: 'group',
    transport: 'http',
  })
  t.equal(http.via, 'inline')
  t.match(http.reply, { msgtype: 'actionCard' })

  const stream = await client.send('help', {
    user: EMULATED_USERS.admin,
    conversation: 'single',
    transport: 'stream',
  })
  t.equal(stream.via, 'webhook')
  t.match(stream.reply, { msgtype: 'markdown', markdown: { text: /\/status\*\* \(admin\)/ } })

  // A slow upstream: the HTTP callback answers "empty", the chat waits for the webhook.
  await fetch(`${emu.baseUrl}/_emulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ target: 'conference.info', fault: { delayMs: 700 } }),
  })
  const slow = await client.send('meeting 5f1c2a9e07b3d4c6e8a1f2b3', {
    user: emulatedUser('someone'),
    conversation: 'group',
    transport: 'http',
  })
  t.equal(slow.via, 'webhook')
  t.match(slow.reply, { msgtype: 'markdown', markdown: { title: 'Sprint 42 retrospective · Ended' } })

  const bad = await fetch(`${emu.baseUrl}/_emulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"target":"nope"}',
  })
  t.equal(bad.status, 400)
  const badPush = await fetch(`${emu.baseUrl}/_emulator/stream/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  })
  t.equal(badPush.status, 400)

  await app.stream?.stop()
  await t.rejects(
    client.send('help', { user: EMULATED_USERS.user, conversation: 'group', transport: 'stream' }),
    /could not push the stream frame/,
  )
})

t.test('no reply in time is an error, not a hang', async (t) => {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: [],
    control: {
      info: () => ({
        clientId: CLIENT_ID,
        clientSecret: SECRET,
        robotCode: CLIENT_ID,
        botUrl: 'http://127.0.0.1:9',
        transports: ['http', 'stream'],
        meetings: [],
      }),
    },
  })
  t.teardown(() => emu.close())
  const client = new ChatClient(emu.baseUrl, 300)
  await t.rejects(
    client.send('help', { user: EMULATED_USERS.user, conversation: 'group', transport: 'http' }),
    /does not answer at http:\/\/127\.0\.0\.1:9/,
  )
  await t.rejects(
    client.send('help', { user: EMULATED_USERS.user, conversation: 'group', transport: 'stream' }),
    /no bot|could not push/,
  )
})
