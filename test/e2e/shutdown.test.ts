import t from 'tap'
import { signCallback } from '../../src/dingtalk/signature.js'
import { EMULATED_USERS, robotTextMessage } from '../../src/emulator/messages.js'
import { startBot, tempDir } from '../helpers/process.js'

t.test('SIGTERM: stops taking messages, finishes the reply in flight, exits 0', async (t) => {
  // Markdown answers: this test follows a webhook reply in flight (live cards go by the card API).
  const bot = await startBot(t, {
    DATA_DIR: tempDir(t),
    DINGTALK_TRANSPORTS: 'stream,http',
    DINGTALK_CARD_TEMPLATE_ID: '',
  })
  const info = (await (await fetch(`${bot.emulatorUrl}/_emulator/info`)).json()) as { clientSecret: string }
  // The upstream answers slowly: the callback answers "empty" and the reply is still on its way.
  await fetch(`${bot.emulatorUrl}/_emulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ target: 'conference.byRoomCode', fault: { delayMs: 2500 } }),
  })
  const session = 'drain0test0session0000'
  const payload = robotTextMessage({
    text: 'meeting 615902734',
    user: EMULATED_USERS.user,
    conversation: 'group',
    sessionWebhook: `${bot.emulatorUrl}/robot/sendBySession?session=${session}`,
    robotCode: 'dingemulatorapp',
  })
  const post = () => {
    const ts = String(Date.now())
    return fetch(`${bot.botUrl}/dingtalk/callback`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        timestamp: ts,
        sign: signCallback(ts, info.clientSecret),
      },
      body: JSON.stringify({ ...payload, msgId: `${payload.msgId}${Math.random()}` }),
    })
  }
  const first = await post()
  t.same(await first.json(), { msgtype: 'empty' }, 'slow answer: empty now, webhook later')
  const started = Date.now()
  bot.proc.kill('SIGTERM')
  await new Promise((r) => setTimeout(r, 200))
  const during = await post().then(
    (r) => r.status,
    () => 'refused',
  )
  t.ok(during === 503 || during === 'refused', `new callbacks are turned away while draining (${during})`)
  t.equal(await bot.exited, 0, 'exit 0')
  const elapsed = Date.now() - started
  t.ok(elapsed < 10_000, `within the drain bound (${elapsed} ms)`)
  const handled = bot.logs().filter((l) => l.msg === 'message handled')
  t.equal(handled.length, 1, 'one message handled, the one before SIGTERM')
  t.match(handled[0], { outcome: 'answered', path: 'webhook', command: 'meeting' })
  const order = bot.logs().map((l) => l.msg)
  t.ok(order.indexOf('message handled') < order.indexOf('stopped'), 'answered before stopping')
  t.ok(
    order.indexOf('stream stopped') < order.indexOf('message handled'),
    'the stream stopped taking frames first',
  )
})
