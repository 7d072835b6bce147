import { spawn } from 'node:child_process'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { ChatClient, ChatError } from '../../src/chat/client.js'
import { parseChatCommand } from '../../src/chat/commands.js'
import { verifyCallbackSignature } from '../../src/dingtalk/signature.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { EMULATED_USERS, orgUnionId } from '../../src/emulator/messages.js'
import { sampleIsvOrgs } from '../../src/emulator/orgs.js'
import { CLIENT_ID, SECRET, waitFor } from '../helpers/index.js'
import { chat, cleanEnv, ROOT } from '../helpers/process.js'
import { type Frame, streamClient } from '../helpers/stream-client.js'

/** Who the message says it is from: the stand-in bot answers with it. */
const who = (p: Record<string, unknown>) =>
  `${p.chatbotCorpId}|${p.senderCorpId}|${p.senderStaffId}|admin=${p.isAdmin}|${p.robotCode}|${p.senderUnionId}|${p.conversationId}`

/**
 * The emulator in ISV mode (two sample orgs) and a stand-in bot: its HTTP callback checks the
 * signature and answers inline with who wrote; its stream connection answers by session webhook.
 */
async function isvPlayground(t: Test, isv = true) {
  let botUrl = ''
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: [],
    ...(isv ? { isv: { orgs: sampleIsvOrgs(Date.now()), robotCode: 'dingsuiterobot' } } : {}),
    control: {
      info: () => ({
        clientId: CLIENT_ID,
        clientSecret: SECRET,
        robotCode: CLIENT_ID,
        botUrl,
        transports: ['http', 'stream'],
      }),
    },
  })
  t.teardown(() => emu.close())
  const bot = Fastify()
  bot.post<{ Body: Record<string, unknown> }>('/dingtalk/callback', async (req, reply) => {
    if (!verifyCallbackSignature(req.headers as Record<string, string>, SECRET, Date.now()).ok)
      return reply.code(401).send({})
    return { msgtype: 'text', text: { content: who(req.body) } }
  })
  botUrl = await bot.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => bot.close())
  const stream = await streamClient(emu)
  stream.ws.on('message', (raw) => {
    const f = JSON.parse(String(raw)) as Frame
    if (f.type !== 'CALLBACK') return
    const p = JSON.parse(f.data) as Record<string, unknown>
    stream.ack(f.headers.messageId, {})
    void fetch(p.sessionWebhook as string, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ msgtype: 'text', text: { content: who(p) } }),
    })
  })
  return emu
}

const text = (reply: unknown) => (reply as { text: { content: string } }).text.content

t.test('the chat client speaks as a user of an org, over http and stream', async (t) => {
  const emu = await isvPlayground(t)
  const client = new ChatClient(emu.baseUrl, 3000)
  const beta = await client.org('dingcorpBeta')
  t.match(beta, {
    corpId: 'dingcorpBeta',
    name: 'Beta Ltd.',
    robotCode: 'dingsuiterobot',
    admins: ['beta0001'],
  })
  await t.rejects(client.org('dingcorpNope'), {
    constructor: ChatError,
    message:
      'the emulator has no org "dingcorpNope"; its orgs: dingcorpAlpha (Alpha Co.), dingcorpBeta (Beta Ltd.)',
  })

  const http = await client.send('help', {
    user: EMULATED_USERS.user,
    conversation: 'group',
    transport: 'http',
    org: beta,
  })
  t.equal(http.via, 'inline')
  t.equal(
    text(http.reply),
    `dingcorpBeta|dingcorpBeta|user0001|admin=false|dingsuiterobot|${orgUnionId('dingcorpBeta', 'user0001')}|cidEmulatorGroup0001.dingcorpBeta==`,
  )
  const admin = { staffId: 'beta0001', nick: 'Beta admin', isAdmin: true }
  const stream = await client.send('hi', {
    user: admin,
    conversation: 'single',
    transport: 'stream',
    org: beta,
  })
  t.equal(stream.via, 'webhook')
  t.match(
    text(stream.reply),
    /^dingcorpBeta\|dingcorpBeta\|beta0001\|admin=true\|dingsuiterobot\|union[0-9a-f]{12}\|cidEmulatorSingle/,
  )
  // Without an org: the internal app's org, as before.
  const plain = await client.send('x', {
    user: EMULATED_USERS.user,
    conversation: 'group',
    transport: 'http',
  })
  t.match(text(plain.reply), /^dingcorpEmulator\|dingcorpEmulator\|user0001\|admin=false\|dingsuiterobot/)

  t.same(parseChatCommand(':org dingcorpBeta'), { kind: 'org', corpId: 'dingcorpBeta' })
  t.same(parseChatCommand(':org'), { kind: 'org', corpId: '' })
})

t.test('a client of an emulator without orgs says so', async (t) => {
  const emu = await isvPlayground(t, false)
  await t.rejects(new ChatClient(emu.baseUrl, 3000).org('dingcorpBeta'), {
    message: 'the emulator has no orgs (it is not in ISV mode), so there is no org "dingcorpBeta"',
  })
})

t.test('npm run chat -- --org: one-shot, unknown org, help', async (t) => {
  const emu = await isvPlayground(t)
  const [ok, unknown, help] = await Promise.all([
    chat(emu.baseUrl, ['--org', 'dingcorpAlpha', '--as', 'admin', '--no-color', 'help']),
    chat(emu.baseUrl, ['--org', 'dingcorpNope', 'help']),
    chat(emu.baseUrl, ['--help']),
  ])
  t.equal(ok.code, 0, ok.stderr)
  t.match(ok.stdout, 'dingcorpAlpha|dingcorpAlpha|alpha0001|admin=true|dingsuiterobot|')
  t.equal(unknown.code, 1)
  t.match(
    unknown.stderr,
    'chat: the emulator has no org "dingcorpNope"; its orgs: dingcorpAlpha (Alpha Co.), dingcorpBeta (Beta Ltd.)',
  )
  t.equal(help.code, 0)
  t.match(help.stdout, '--org <corpId>')
  t.match(help.stdout, ':org [<corpId>]')
})

t.test(
  'the interactive chat: the first org by default, :org switches, timeline commands in the org',
  async (t) => {
    const emu = await isvPlayground(t)
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/chat/main.ts', '--emulator', emu.baseUrl, '--no-color', '--as', 'admin'],
      {
        cwd: ROOT,
        env: cleanEnv(),
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    )
    let out = ''
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    const exited = new Promise<number | null>((r) => proc.on('exit', r))
    t.teardown(() => {
      if (proc.exitCode === null) proc.kill('SIGKILL')
    })
    await waitFor(() => out.includes('Sample room codes'), 15_000, 'the chat to start')
    t.match(
      out,
      'as Alpha Co. admin (alpha0001, admin) of Alpha Co. (dingcorpAlpha) in a group chat via http',
    )
    t.match(out, 'Sample room codes: 211300401, 211300402, 500600700\n', "the org's own meetings")
    proc.stdin.write(':org dingcorpBeta\n')
    await waitFor(() => out.includes('of Beta Ltd.'), 5000, 'the switch')
    t.match(
      out,
      'now Beta Ltd. admin (beta0001, admin) of Beta Ltd. (dingcorpBeta)',
      'an admin stays an admin',
    )
    proc.stdin.write('who am i\n')
    await waitFor(() => out.includes('dingcorpBeta|dingcorpBeta|beta0001|admin=true'), 5000, 'the answer')
    proc.stdin.write(':end 500 600 700\n')
    await waitFor(() => out.includes('ended 500 600 700'), 5000, 'the timeline command')
    t.match(out, 'ended 500 600 700 "Beta customer call"')
    t.equal(emu.isv.orgs.get('dingcorpAlpha')?.meetings[2]?.status, 2, "Alpha's 500 600 700 runs on")
    proc.stdin.write(':org\n')
    await waitFor(() => out.includes('* dingcorpBeta'), 5000, 'the list')
    t.match(out, '  dingcorpAlpha  Alpha Co.\n* dingcorpBeta  Beta Ltd.')
    proc.stdin.write(':org dingcorpNope\n')
    await waitFor(() => out.includes('no org "dingcorpNope"'), 5000, 'the refusal')
    proc.stdin.write(':quit\n')
    t.equal(await exited, 0)
  },
)
