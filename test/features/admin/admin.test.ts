import t from 'tap'
import type { RobotMessagePayload } from '../../../src/dingtalk/robot-message.js'
import { robotMessage, SECRET, type Stack, signedHeaders, startStack, waitFor } from '../../helpers/index.js'

type AnyReply = {
  msgtype: string
  text?: { content: string }
  markdown?: { title: string; text: string }
  actionCard?: { text: string }
}
const textOf = (r: AnyReply) => r.text?.content ?? r.markdown?.text ?? r.actionCard?.text ?? ''

const ADMIN = { senderStaffId: 'admin0001', senderNick: '韩梅梅', isAdmin: true }
const LISTED = { senderStaffId: 'ops42', senderNick: 'Ops', isAdmin: false }
const USER = { senderStaffId: 'user7', senderNick: '李雷', isAdmin: false }

let now = Date.UTC(2026, 10, 27, 8, 0, 0)
let s: Stack
t.before(async () => {
  s = await startStack(t, {
    env: { BOT_ADMINS: 'ops42, other', BOT_TIMEZONE: 'Asia/Shanghai' },
    clock: () => now,
    tuning: { pacing: { limit: 1000, windowMs: 60_000, maxWaitMs: 60_000 } },
  })
})

type Who = Partial<Omit<RobotMessagePayload, 'text'>>

async function ask(text: string, who: Who, over: Who = {}): Promise<string> {
  // Signed at the bot's (fixed) time: the signature check uses the same clock.
  const res = await s.post(
    robotMessage({ text, sessionWebhook: s.emu.newSessionWebhook(), ...who, ...over }),
    signedHeaders(SECRET, now),
  )
  return textOf((await res.json()) as AnyReply)
}

t.test('who is an admin: DingTalk isAdmin or BOT_ADMINS; nobody else', async (t) => {
  t.match(await ask('/status', ADMIN), 'Meeting bot status')
  t.match(await ask('status', LISTED), 'Meeting bot status', 'plain form works too')
  t.equal(await ask('/status', USER), '@user7 Only admins can use that command.')
  t.equal(await ask('/状态', USER), '@user7 只有管理员可以使用这个命令。')
  const audit = s.capture.find('admin command')
  t.match(audit.at(-1), {
    audit: true,
    who: 'user7',
    nick: '李雷',
    where: 'cidK3nV8pQ2xYwLmZ5tR9aB1cD==',
    command: 'status',
    result: 'denied',
  })
  t.match(audit[0], { who: 'admin0001', command: 'status', result: 'ok' })
})

t.test('help shows each person only what they may run', async (t) => {
  const user = await ask('help', USER)
  t.notMatch(user, '/status')
  t.notMatch(user, '(admin)')
  const admin = await ask('help', ADMIN)
  t.match(admin, '- **/status** (admin): health, transports, cache and DingTalk quota use (also: 状态)')
  t.match(admin, '- **/lang zh|en** (admin)')
  t.match(admin, '- **/cache clear [room code]** (admin)')
})

t.test('/lang and /tz: per conversation, validated', async (t) => {
  const conv = { conversationId: 'cidSettingsTest==' }
  t.equal(
    await ask('/语言', ADMIN, conv),
    '@admin0001 本会话的回复语言是中文。可用“/lang zh”或“/lang en”修改。',
  )
  t.equal(
    await ask('/lang', ADMIN, conv),
    '@admin0001 Replies in this chat are in 中文. Change with "/lang zh" or "/lang en".',
  )
  t.equal(
    await ask('/lang fr', ADMIN, conv),
    '@admin0001 "fr" is not a language I speak. Valid values: zh (中文), en (English).',
  )
  t.equal(await ask('/语言 fr', ADMIN, conv), '@admin0001 不支持“fr”。可选值：zh（中文）、en（English）。')
  t.equal(await ask('/lang en', ADMIN, conv), '@admin0001 Replies in this chat are now in English.')
  t.match(
    await ask('m 615902734', USER, conv),
    'In progress',
    'now English where the command word says nothing',
  )
  t.match(await ask('m 615902734', USER), '进行中', 'other conversations keep the default')
  t.match(await ask('会议 615902734', USER, conv), '进行中', 'a Chinese command word still gets Chinese')
  t.match(await ask('/tz mars/base', ADMIN, conv), /"mars\/base" is not an IANA time zone\. .*Asia\/Shanghai/)
  t.match(await ask('/tz berlin', ADMIN, conv), 'Did you mean: Europe/Berlin?')
  t.equal(
    await ask('/tz europe/berlin', ADMIN, conv),
    '@admin0001 Times in this chat are now in Europe/Berlin (now: Fri, 27 Nov 2026 09:00 (GMT+1)).',
  )
  t.match(await ask('m 615902734', USER, conv), '(GMT+1)')
  t.match(await ask('/tz', ADMIN, conv), 'Times in this chat are in Europe/Berlin.')
  const audits = s.capture.find('admin command').filter((l) => l.where === 'cidSettingsTest==')
  t.same(
    audits.map((l) => [l.command, l.args, l.result]),
    [
      ['lang', '', 'ok'],
      ['lang', '', 'ok'],
      ['lang', 'fr', 'ok'],
      ['lang', 'fr', 'ok'],
      ['lang', 'en', 'ok'],
      ['tz', 'mars/base', 'ok'],
      ['tz', 'berlin', 'ok'],
      ['tz', 'europe/berlin', 'ok'],
      ['tz', '', 'ok'],
    ],
  )
})

t.test('/config shows the effective configuration with every secret masked', async (t) => {
  const reply = await ask('/config', ADMIN)
  t.match(reply, `- DINGTALK_CLIENT_SECRET = •••••• (set, ${SECRET.length} characters)`)
  t.match(reply, '- METRICS_TOKEN = (not set)')
  t.match(reply, '- BOT_ADMINS = ops42,other')
  t.match(reply, `- DINGTALK_API_BASE = ${s.emu.baseUrl}`)
  t.notMatch(reply, SECRET)
  t.notMatch(s.capture.raw, SECRET, 'nor in the logs')
})

t.test('/cache clear: everything or one room; the next question goes upstream again', async (t) => {
  await ask('meeting 615902734', USER)
  const before = s.emu.count('conference.byRoomCode')
  await ask('meeting 615902734', USER)
  t.equal(s.emu.count('conference.byRoomCode'), before, 'cached')
  t.equal(
    await ask('/cache clear 615 902 734', ADMIN),
    '@admin0001 Dropped 2 cached entries for room 615902734.',
  )
  await ask('meeting 615902734', USER)
  t.equal(s.emu.count('conference.byRoomCode'), before + 1)
  t.match(await ask('/缓存 清除', ADMIN), /已清除 \d+ 条缓存。/)
  t.equal(await ask('/cache', ADMIN), '@admin0001 Usage: /cache clear [room code]')
  t.equal(await ask('/cache clear tomorrow', ADMIN), '@admin0001 Usage: /cache clear [room code]')
})

t.test('/status, with a fixed clock', async (t) => {
  now += 3600_000 + 5 * 60_000
  const reply = await ask('/status', ADMIN)
  // Everything on it follows from the messages above and the fixed clock.
  t.matchSnapshot(reply, 'status')
  t.match(reply, '- **Version:** 0.1.0 · up 1 h 5 min')
  t.match(reply, '- **http:** accepting callbacks · last message 1 h 5 min ago')
  t.match(reply, '- **Access token:** valid for 55 min')
  t.match(reply, /- \*\*Meeting cache:\*\* \d+% hits \(\d+ of \d+ lookups\)/)
  t.match(reply, /conference\.byRoomCode: \d+ \(\d+ ok\)/)
  t.match(reply, /DingTalk calls in 2026-11:/)
  t.match(reply, '- **Store:** memory')
  const zh = await ask('/状态', ADMIN)
  t.match(zh, '- **版本:** 0.1.0 · 已运行 1小时5分钟')
  t.match(zh, '- **http:** 正在接收回调 · 最近消息 0秒前', 'states in Chinese too')
})

t.test('every admin command leaves an audit line', async (t) => {
  await waitFor(() => s.capture.find('admin command').length >= 10)
  for (const line of s.capture.find('admin command')) {
    t.ok(line.who && line.where && line.command && line.result, `${line.command}: who, where, what, result`)
  }
})
