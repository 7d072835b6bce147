import t, { type Test } from 'tap'
import type { RobotMessagePayload } from '../../src/dingtalk/robot-message.js'
import { fixture, robotMessage, type Stack, startStack } from '../helpers/index.js'

type AnyReply = {
  msgtype: string
  text?: { content: string }
  markdown?: { title: string; text: string }
  actionCard?: { text: string }
}

async function ask(s: Stack, over: Partial<RobotMessagePayload> & { text?: string }): Promise<AnyReply> {
  const res = await s.post(robotMessage({ sessionWebhook: s.emu.newSessionWebhook(), ...over }))
  return (await res.json()) as AnyReply
}
const textOf = (r: AnyReply) => r.text?.content ?? r.markdown?.text ?? r.actionCard?.text ?? ''

let stack: Stack
t.before(async () => {
  stack = await startStack(t, { tuning: { pacing: { limit: 1000, windowMs: 60_000, maxWaitMs: 60_000 } } })
})
const s = () => stack

t.test('message types', async (t: Test) => {
  const pic = await ask(s(), { msgtype: 'picture', content: { downloadCode: 'x' } as never })
  t.match(textOf(pic), '我只能读文字消息', 'pictures: a polite "send me text", in the default zh-CN')
  const rich = fixture<RobotMessagePayload>('robot-richtext')
  const r1 = await ask(s(), { msgtype: 'richText', content: rich.content, text: undefined } as never)
  t.match(textOf(r1), 'Sprint 43 retrospective', 'rich text: text parts, @name dropped')
  const audio = fixture<RobotMessagePayload>('robot-audio')
  const r2 = await ask(s(), { msgtype: 'audio', content: audio.content } as never)
  t.match(textOf(r2), '进行中', 'audio: speech recognition, answered in Chinese')
  const mute = await ask(s(), { msgtype: 'audio', content: { duration: 1, downloadCode: 'x' } } as never)
  t.match(textOf(mute), '我只能读文字消息', 'audio without recognition')
})

t.test('DingTalk paused robot messages: nothing is answered', async (t) => {
  const quota = fixture<RobotMessagePayload>('robot-quota-exceeded')
  const res = await s().post({
    ...quota,
    msgId: `quota-${Date.now()}`,
    sessionWebhook: s().emu.newSessionWebhook(),
  })
  t.same(await res.json(), { msgtype: 'empty' })
  t.ok(
    s().capture.lines.some(
      (l) => l.msg === 'DingTalk paused robot messages for this org; nothing can be answered',
    ),
  )
})

t.test('routing', async (t) => {
  const help = await ask(s(), { text: '' })
  t.equal(help.msgtype, 'markdown', 'a bare @mention gets help')
  t.match(textOf(help), '会议 <会议号 | 会议 ID | 入会链接>')
  const helpEn = await ask(s(), { text: 'help' })
  t.match(
    textOf(helpEn),
    '- **meeting <room code | conference id | join link>**: what is going on in a video meeting (also: m, 会议, 查会)',
  )
  t.match(textOf(helpEn), '- **help**: this list (also: 帮助, ?)')
  const typo = await ask(s(), { text: 'meetign 615902734' })
  t.equal(textOf(typo), '@manager4821 I don\'t know "meetign". Did you mean "meeting"?')
  const unknown = await ask(s(), { text: '天气' })
  t.equal(textOf(unknown), '@manager4821 我不认识“天气”。发送“帮助”查看可用命令。')
  const usage = await ask(s(), { text: 'meeting tomorrow' })
  t.match(textOf(usage), 'Send "meeting <room code | conference id | join link>"')
  const bare = await ask(s(), { text: '615 902 734' })
  t.match(textOf(bare), 'Sprint 43 retrospective', 'a bare room code is a meeting question')
  const link = await ask(s(), { text: 'https://meeting.dingtalk.com/app?roomCode=615902734&token=1_4c7f' })
  t.match(textOf(link), 'Sprint 43 retrospective', 'so is a join link')
  const fw = await ask(s(), { text: '会议 ６１５－９０２－７３４' })
  t.match(textOf(fw), '进行中', 'full-width digits and dashes')
})

t.test('reply language follows the command word, else BOT_LOCALE', async (t) => {
  t.match(textOf(await ask(s(), { text: 'meeting 615902734' })), 'In progress')
  t.match(textOf(await ask(s(), { text: '查会 615902734' })), '进行中')
  t.match(textOf(await ask(s(), { text: 'M 615902734' })), '进行中', '"m" says nothing: zh-CN default')
})

t.test('group replies @-mention the asker, one-to-one replies do not', async (t) => {
  const group = (await (
    await s().post(robotMessage({ text: 'help', sessionWebhook: s().emu.newSessionWebhook() }))
  ).json()) as { at?: unknown }
  t.same(group.at, { atUserIds: ['manager4821'], isAtAll: false })
  const single = fixture<RobotMessagePayload>('robot-text-single')
  const res = await s().post({
    ...single,
    msgId: `single-${Date.now()}`,
    text: { content: 'help' },
    sessionWebhook: s().emu.newSessionWebhook(),
  })
  t.equal(((await res.json()) as { at?: unknown }).at, undefined)
})

t.test('errors: short honest replies with a reference id that is in the log', async (t) => {
  const cases: Array<[string, () => void, RegExp]> = [
    ['100200300', () => {}, /not allowed to read this meeting.*VideoConference\.Conference\.Read/],
    ['999999999', () => {}, /No meeting found/],
    [
      '626262626',
      () =>
        s().emu.fail('conference.byRoomCode', {
          status: 403,
          code: 'Forbidden.AccessDenied.QpsLimitForApi',
          times: 1000,
        }),
      /busy/,
    ],
    ['636363636', () => s().emu.fail('conference.byRoomCode', { status: 502, times: 3 }), /not answering/],
    [
      '646464646',
      () => s().emu.fail('conference.byRoomCode', { status: 400, code: 'invalidRoomCode' }),
      /not a valid room code/,
    ],
    [
      '656565656',
      () => s().emu.fail('conference.byRoomCode', { status: 500, code: 'whatever', html: true, times: 3 }),
      /not answering/,
    ],
    // Last: after it the bot stops calling DingTalk for a cooldown (test/dingtalk/client.test.ts).
    [
      '616161616',
      () =>
        s().emu.fail('conference.byRoomCode', {
          status: 403,
          code: 'Forbidden.AccessDenied.ApiCountLimitForOrg',
        }),
      /quota/,
    ],
  ]
  for (const [code, arrange, expected] of cases) {
    arrange()
    const reply = await ask(s(), { text: `meeting ${code}` })
    s().emu.clearFaults()
    const text = textOf(reply)
    t.match(text, expected, code)
    const ref = /\(ref ([2-9A-Z]{6})\)$/.exec(text)?.[1]
    t.ok(ref, `${code}: reference id`)
    const line = s().capture.lines.find((l) => l.ref === ref && l.msg === 'command failed')
    t.ok(line, `${code}: the log line carries the same reference`)
  }
})
