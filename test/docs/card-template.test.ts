// The shipped card template (docs/card-template/meeting-card.json) against the cards contract:
// the variables the bot sends, what the card shows, and the four buttons with their params.
import { readFileSync } from 'node:fs'
import t from 'tap'

const DIR = new URL('../../docs/card-template/', import.meta.url)
const raw = readFileSync(new URL('meeting-card.json', DIR), 'utf8')
const readme = readFileSync(new URL('README.md', DIR), 'utf8')

interface Dyn {
  type?: string
  content?: string
  valueType?: string
  variable?: string
  value?: unknown
}
interface Condition {
  op: string
  variable: string
  value: unknown
}
interface Visible {
  valueType: string
  condition: { op: string; conditions: Condition[] }
}
interface Param {
  type: string
  name: string
  value: string
  variable: string
}
interface Button {
  text: Dyn
  actionType: string
  actionId?: Dyn
  params: Param[]
  url: Dyn
  visible?: Visible
}
interface Node {
  componentName: string
  id: string
  props: Record<string, unknown>
  children?: Node[]
}
interface Variable {
  name: string
  id: string
  type: string
  private: boolean
}

const file = JSON.parse(raw) as Record<string, unknown>
const editor = JSON.parse(String(file.editorData)) as {
  schemaVersion: string
  schema: { componentsMap: { componentName: string }[]; componentsTree: Node[] }
  mockData: { cardData: Record<string, unknown> }
  variableList: Variable[]
  extension: { fileTypeList: { fileName: string; fileSource: string }[] }
}
const root = editor.schema.componentsTree[0] as Node

function nodes(n: Node): Node[] {
  return [n, ...(n.children ?? []).flatMap(nodes)]
}
const all = nodes(root)
const named = (name: string) => all.filter((n) => n.componentName === name)
// `${name}`: how the editor binds a variable inside a string.
const ref = (name: string) => `\${${name}}`
const props = (n: Node | undefined) => n?.props ?? {}
const conditions = (v: unknown) => {
  const vis = v as Visible | undefined
  return vis?.valueType === 'condition'
    ? vis.condition.conditions.map(({ op, variable, value }) => ({ op, variable, value }))
    : []
}
const params = (b: Button) =>
  b.params.map((p) =>
    p.type === 'variable'
      ? { type: p.type, name: p.name, variable: p.variable }
      : { type: p.type, name: p.name, value: p.value },
  )

// The contract's cardParamMap keys (cards-contract.md); `markdown` ones are rendered as markdown.
const CONTRACT: Record<string, 'string' | 'markdown'> = {
  title: 'string',
  roomCode: 'string',
  status: 'string',
  statusText: 'string',
  body: 'markdown',
  activeNum: 'string',
  attendNum: 'string',
  invitedNum: 'string',
  elapsed: 'string',
  host: 'string',
  members: 'markdown',
  joinUrl: 'string',
  showJoin: 'string',
  watching: 'string',
  live: 'string',
  note: 'string',
  refreshLabel: 'string',
  membersLabel: 'string',
  watchLabel: 'string',
  joinLabel: 'string',
  watchAction: 'string',
}

t.test('the file has the layout of the card platform export', async (t) => {
  // The keys of every export in open-dingtalk/dingtalk-card-examples.
  t.same(Object.keys(file), ['editorData', 'widgetInfo', 'type', 'mode'])
  t.equal(typeof file.editorData, 'string', 'editorData is a JSON string, as exported')
  t.equal(file.type, 'im')
  t.equal(file.mode, 'card')
  t.match(String(file.widgetInfo), /^<LinearLayout[\s\S]*@data\{data\.cardData\.title\}/)
  t.same(Object.keys(editor), [
    'schemaVersion',
    'schema',
    'mockData',
    'editVersion',
    'customWidgetInfo',
    'useCustomWidgetInfo',
    'variableList',
    'formList',
    'expList',
    'localList',
    'hsfList',
    'lwpList',
    'extension',
  ])
  t.equal(editor.schemaVersion, '3.0.0')
  t.equal(editor.schema.componentsTree.length, 1)
  t.equal(root.componentName, 'Card')
  const used = [...new Set(all.map((n) => n.componentName))].sort()
  t.same(
    editor.schema.componentsMap.map((m) => m.componentName).sort(),
    used,
    'componentsMap lists what the tree uses',
  )
  t.equal(new Set(all.map((n) => n.id)).size, all.length, 'node ids are unique')
})

t.test('every contract variable is declared, public, with its type and a string mock value', async (t) => {
  const declared = new Map(editor.variableList.map((v) => [v.name, v]))
  t.same([...declared.keys()].sort(), Object.keys(CONTRACT).sort())
  for (const [name, type] of Object.entries(CONTRACT)) {
    const v = declared.get(name)
    t.ok(v, `${name} declared`)
    t.equal(v?.id, name)
    t.equal(v?.type, type, `${name} is ${type}`)
    t.equal(v?.private, false, `${name} is public data`)
    t.equal(
      typeof editor.mockData.cardData[name],
      'string',
      `${name} mock value is a string, like cardParamMap`,
    )
  }
})

t.test('the card shows title, body, members (only when not empty) and note', async (t) => {
  const header = named('CardHeaderV2')
  t.equal(header.length, 1)
  t.equal((props(header[0]).title as Dyn | undefined)?.content, ref('title'))
  t.equal((root.props.summaryContent as Dyn).variable, 'title', 'the chat summary is the title')

  const markdown = (variable: string) =>
    named('Markdown').filter((n) => (n.props.content as Dyn).variable === variable)
  const body = markdown('body')
  t.equal(body.length, 1, 'one Markdown bound to body')
  t.equal((props(body[0]).content as Dyn | undefined)?.valueType, 'variable')
  t.same(conditions(body[0]?.props.visible), [], 'body always shown')

  const members = markdown('members')
  t.equal(members.length, 1, 'one Markdown bound to members')
  t.same(conditions(members[0]?.props.visible), [{ op: 'isNotEmpty', variable: 'members', value: '' }])

  const note = named('BaseText').filter((n) => (n.props.text as Dyn).content === ref('note'))
  t.equal(note.length, 1, 'one text line bound to note')
})

t.test('the four buttons and what they send', async (t) => {
  const list = named('ButtonList').flatMap((n) => (n.props.buttons as { list: Button[] }).list)
  const single = named('SingleButton').map((n) => ({ ...(n.props as unknown as Button), id: n.id }))
  const buttons = [...list, ...single]
  t.equal(buttons.length, 4, 'exactly four buttons')
  const byLabel = (label: string) => {
    const found = buttons.filter((b) => b.text.content === ref(label))
    t.equal(found.length, 1, `one button labelled by ${label}`)
    return found[0] as Button
  }

  const refresh = byLabel('refreshLabel')
  t.equal(refresh.actionType, 'request', 'Refresh is a 回传请求 button')
  t.same(params(refresh), [{ type: 'fixed', name: 'action', value: 'refresh' }])
  t.equal(refresh.actionId?.content, 'refresh')

  const members = byLabel('membersLabel')
  t.equal(members.actionType, 'request')
  t.same(params(members), [{ type: 'fixed', name: 'action', value: 'members' }])
  t.equal(members.actionId?.content, 'members')

  const watch = byLabel('watchLabel')
  t.equal(watch.actionType, 'request')
  t.same(
    params(watch),
    [{ type: 'variable', name: 'action', variable: 'watchAction' }],
    `action = ${ref('watchAction')}`,
  )
  t.equal(watch.actionId?.content, ref('watchAction'))

  for (const b of [refresh, members, watch])
    t.same(conditions(b.visible), [], 'callback buttons always shown')

  const join = byLabel('joinLabel')
  t.equal(join.actionType, 'url', 'Join is a link, no callback')
  t.same(
    { valueType: join.url.valueType, variable: join.url.variable },
    { valueType: 'variable', variable: 'joinUrl' },
    'Join opens joinUrl',
  )
  t.same(
    conditions(join.visible),
    [{ op: 'equal', variable: 'showJoin', value: 'true' }],
    'shown when showJoin is "true"',
  )
  const chain = editor.extension.fileTypeList.find((f) => f.fileName === 'event_chain')
  const joinId = (join as Button & { id: string }).id
  t.ok(
    chain && `single_button_${joinId}` in JSON.parse(chain.fileSource),
    'the link button has its event chain entry',
  )
})

t.test('every binding names a declared variable', async (t) => {
  const declared = new Set(editor.variableList.map((v) => v.name))
  const refs = new Set<string>()
  const walk = (o: unknown): void => {
    if (typeof o === 'string') for (const m of o.matchAll(/\$\{(\w+)\}/g)) refs.add(m[1] as string)
    else if (Array.isArray(o)) o.forEach(walk)
    else if (o && typeof o === 'object') {
      const r = o as Record<string, unknown>
      if (r.variableType === 'global' && typeof r.variable === 'string' && r.variable) refs.add(r.variable)
      Object.values(r).forEach(walk)
    }
  }
  walk(editor.schema)
  for (const r of refs) t.ok(declared.has(r), `${r} is declared`)
  // What the contract shows on the card must actually be bound somewhere.
  const shown = [
    'title',
    'body',
    'members',
    'note',
    'refreshLabel',
    'membersLabel',
    'watchLabel',
    'joinLabel',
  ]
  for (const v of [...shown, 'joinUrl', 'showJoin', 'watchAction']) t.ok(refs.has(v), `${v} is bound`)
})

t.test('the README documents every variable and button', async (t) => {
  for (const v of editor.variableList)
    t.match(readme, `| \`${v.name}\` | ${v.type} |`, `${v.name} in the table`)
  for (const label of ['refreshLabel', 'membersLabel', 'watchLabel', 'joinLabel']) t.match(readme, ref(label))
  t.match(readme, 'open-dingtalk/dingtalk-card-examples', 'names the examples it follows')
  t.match(readme, /not\*\* been\s+imported/, 'says it was not imported into a real console')
})
