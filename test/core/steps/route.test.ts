import t from 'tap'
import { type Command, type CommandContext, CommandRegistry } from '../../../src/core/commands.js'
import { textReply } from '../../../src/core/reply.js'
import { isAdmin, route } from '../../../src/core/steps/route.js'
import { fakeContext, inbound, nextStep, textOf } from './fake.js'

const seen: CommandContext[] = []
const command = (name: string, aliases: string[] = [], adminOnly = false): Command => ({
  name,
  aliases,
  adminOnly,
  summary: { en: name, 'zh-CN': name },
  usage: { en: name, 'zh-CN': name },
  run: async (ctx) => {
    seen.push(ctx)
    return textReply(name)
  },
})
const meeting = command('meeting', ['会议'])
const help = command('help')
const status = command('status', [], true)
const registry = new CommandRegistry([meeting, help, status])
const step = route({
  registry,
  onEmpty: help,
  fallbacks: [(text) => (/^\d+$/.test(text) ? meeting : undefined)],
  admins: ['boss01'],
  clock: () => 5_000,
})

async function routed(text: string, over: Parameters<typeof fakeContext>[0] = {}) {
  const { ctx, capture } = fakeContext({ ...over, text })
  const { next, calls } = nextStep()
  await step(ctx, next)
  return { ctx, capture, ran: calls.n }
}

t.test('a command word: the command, its arguments, the language of the word', async (t) => {
  const { ctx, ran } = await routed('meeting 615902734', { settings: { timeZone: 'Europe/Berlin' } })
  t.equal(ran, 1)
  t.equal(ctx.command, 'meeting')
  t.equal(ctx.invocation?.command, meeting)
  t.match(ctx.invocation?.context, {
    args: '615902734',
    locale: 'en',
    timeZone: 'Europe/Berlin',
    now: 5_000,
    isAdmin: false,
    mention: { staffId: 'manager4821' },
  })
  t.equal((await routed('会议 1')).ctx.locale, 'zh-CN')
  t.equal((await routed('meeting 1', { settings: { locale: 'zh-CN' } })).ctx.locale, 'en', 'the word wins')
})

t.test('an empty message runs what a feature claimed for it, in the chat language', async (t) => {
  const { ctx, ran } = await routed('', { settings: { locale: 'en' } })
  t.equal(ran, 1)
  t.equal(ctx.invocation?.command, help)
  t.equal(ctx.invocation?.context.args, '')
  t.equal(ctx.locale, 'en')
})

t.test('no command word: a feature fallback takes the whole text, else a hint', async (t) => {
  const bare = await routed('615902734')
  t.equal(bare.ctx.invocation?.command, meeting)
  t.equal(bare.ctx.invocation?.context.args, '615902734')
  const typo = await routed('meetign 1')
  t.equal(typo.ran, 0)
  t.equal(typo.ctx.command, 'unknown')
  t.equal(typo.ctx.result, 'usage')
  t.equal(textOf(typo.ctx.reply), '@manager4821 I don\'t know "meetign". Did you mean "meeting"?')
  const other = await routed('天气')
  t.equal(textOf(other.ctx.reply), '@manager4821 我不认识“天气”。发送“帮助”查看可用命令。')
})

t.test('admin commands: the gate and the audit line, after the run', async (t) => {
  const denied = await routed('/status')
  t.equal(denied.ran, 0, 'not run for a non-admin')
  t.match(textOf(denied.ctx.reply), 'Only admins can use that command.')
  t.equal(denied.ctx.result, 'usage')
  t.match(denied.capture.find('admin command')[0], { audit: true, who: 'manager4821', result: 'denied' })
  const { ctx, capture } = fakeContext({ msg: inbound({ isAdmin: true }), text: '/status now' })
  await step(ctx, async () => {
    ctx.result = 'error'
    ctx.ref = 'XYZ234'
  })
  t.match(capture.find('admin command')[0], {
    audit: true,
    command: 'status',
    args: 'now',
    where: ctx.msg.conversation.id,
    result: 'error',
    ref: 'XYZ234',
  })
  t.equal((await routed('help')).capture.find('admin command').length, 0, 'no audit for everyone commands')
})

t.test('admins: DingTalk org admins and the BOT_ADMINS staff ids', async (t) => {
  t.equal(isAdmin(inbound({ isAdmin: true }), []), true)
  t.equal(isAdmin(inbound({ senderStaffId: 'boss01' }), ['boss01']), true)
  t.equal(isAdmin(inbound({ senderStaffId: '' }), ['']), false, 'no staff id, no listing')
  const listed = await routed('/status', { msg: inbound({ senderStaffId: 'boss01' }) })
  t.equal(listed.ran, 1)
  t.equal(listed.ctx.invocation?.context.isAdmin, true)
})

t.test('no feature claimed empty messages: nothing is said', async (t) => {
  const bare = route({ registry, fallbacks: [], admins: [], clock: () => 0 })
  const { ctx } = fakeContext({ text: '' })
  const { next, calls } = nextStep()
  await bare(ctx, next)
  t.equal(calls.n, 0)
  t.equal(ctx.reply, undefined)
})
