import t from 'tap'
import type { Command } from '../../../src/core/commands.js'
import { CommandRegistry } from '../../../src/core/commands.js'
import { textReply } from '../../../src/core/reply.js'
import { runCommand } from '../../../src/core/steps/run-command.js'
import { fakeContext, textOf } from './fake.js'

const echo: Command = {
  name: 'echo',
  aliases: [],
  summary: { en: '', 'zh-CN': '' },
  usage: { en: '', 'zh-CN': '' },
  run: async (ctx) => textReply(`${ctx.args} (${ctx.locale})`),
}

t.test('the chosen command runs with its context; its reply is the answer', async (t) => {
  const { ctx } = fakeContext()
  ctx.result = 'usage'
  ctx.invocation = {
    command: echo,
    context: {
      msg: ctx.msg,
      args: 'hi',
      locale: 'en',
      timeZone: 'UTC',
      now: 0,
      log: ctx.log,
      mention: undefined,
      isAdmin: false,
      registry: new CommandRegistry([echo]),
    },
  }
  await runCommand()(ctx, async () => {})
  t.equal(textOf(ctx.reply), 'hi (en)')
  t.equal(ctx.result, 'ok')
})

t.test('nothing chosen: nothing runs', async (t) => {
  const { ctx } = fakeContext()
  await runCommand()(ctx, async () => {})
  t.equal(ctx.reply, undefined)
})
