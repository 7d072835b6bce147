import t from 'tap'
import { CommandRegistry } from '../../src/core/commands.js'
import { productionRegistry } from '../helpers/registry.js'

const registry = await productionRegistry(t)
const m = (text: string) => registry.match(text)

t.test('command words, aliases, case and a leading slash', async (t) => {
  for (const text of [
    'meeting 615902734',
    'MEETING 615902734',
    '/meeting 615902734',
    '/ meeting 615902734',
    'm 615902734',
    '会议 615902734',
    '查会 615902734',
  ]) {
    const r = m(text)
    t.equal(r.kind === 'command' && r.command.name, 'meeting', text)
    t.equal(r.kind === 'command' && r.args, '615902734', `${text}: args`)
  }
  for (const text of ['help', 'Help', '/help', '帮助', '?']) {
    const r = m(text)
    t.equal(r.kind === 'command' && r.command.name, 'help', text)
  }
})

t.test('Chinese aliases work without a space', async (t) => {
  const r = m('会议615 902 734')
  t.equal(r.kind === 'command' && r.command.name, 'meeting')
  t.equal(r.kind === 'command' && r.args, '615 902 734')
})

t.test('the language of the command word', async (t) => {
  t.equal((m('会议 1') as { locale?: string }).locale, 'zh-CN')
  t.equal((m('meeting 1') as { locale?: string }).locale, 'en')
  t.equal((m('m 1') as { locale?: string }).locale, undefined)
  t.equal((m('?') as { locale?: string }).locale, undefined)
})

t.test('empty and unknown input', async (t) => {
  t.same(m(''), { kind: 'empty' })
  t.same(m('/'), { kind: 'empty' })
  t.same(m('meetign 615902734'), { kind: 'unknown', word: 'meetign', suggestion: 'meeting', locale: 'en' })
  t.same(m('hlp'), { kind: 'unknown', word: 'hlp', suggestion: 'help', locale: 'en' })
  t.same(m('weather today'), { kind: 'unknown', word: 'weather', locale: 'en' })
  t.same(m('x'), { kind: 'unknown', word: 'x' }, 'one character: no guess')
})

t.test('a word registered twice is a programming error', async (t) => {
  const run = async () => ({ msgtype: 'text' as const, text: { content: '' } })
  const c = {
    name: 'a',
    aliases: ['b'],
    summary: { en: '', 'zh-CN': '' },
    usage: { en: '', 'zh-CN': '' },
    run,
  }
  t.throws(() => new CommandRegistry([c, { ...c, name: 'B', aliases: [] }]), /registered twice/)
})
