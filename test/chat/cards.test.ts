import t, { type Test } from 'tap'
import { buttonLine, type ChatCard, describePress, renderCard, rowsOf } from '../../src/chat/card-render.js'
import { CardScreen, type TermOut } from '../../src/chat/card-screen.js'
import { ChatClient, cardSpace } from '../../src/chat/client.js'
import { CHAT_COMMANDS_HELP, parseChatCommand } from '../../src/chat/commands.js'
import { followCards } from '../../src/chat/follow.js'
import { CARD_CALLBACK_TOPIC } from '../../src/emulator/cards.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { TOPIC_ROBOT } from '../../src/emulator/gateway.js'
import { EMULATED_GROUP, EMULATED_USERS } from '../../src/emulator/messages.js'
import { CLIENT_ID, SECRET } from '../helpers/index.js'
import { streamClient } from '../helpers/stream-client.js'

const plain = { color: false }

const DATA = {
  title: 'Sprint 43 retrospective',
  status: 'in_progress',
  statusText: 'In progress',
  body: '- **Status:** 🟢 In progress\n- **In the meeting now:** 5',
  members: '',
  note: 'Live · updated 10:05',
  refreshLabel: 'Refresh',
  membersLabel: 'Members',
  watchLabel: 'Watch',
  watchAction: 'watch',
  joinLabel: 'Join',
  showJoin: 'true',
  joinUrl: 'https://meeting.dingtalk.com/app?roomCode=615902734',
}

function card(version: number, data: Record<string, string> = {}): ChatCard {
  return {
    outTrackId: 'mtg-1',
    space: { type: 'IM_GROUP', id: EMULATED_GROUP.id },
    data: { ...DATA, ...data },
    version,
    createdAt: 1,
  }
}

/** A terminal (or a pipe) that keeps what the chat wrote. */
class FakeTerm implements TermOut {
  text = ''
  constructor(
    readonly isTTY: boolean,
    readonly columns = 80,
  ) {}
  write(chunk: string): boolean {
    this.text += chunk
    return true
  }
  take(): string {
    const s = this.text
    this.text = ''
    return s
  }
}

t.test('a card renders its title, body, members when filled, note and buttons', async (t) => {
  t.equal(
    renderCard(card(1), plain),
    [
      'Sprint 43 retrospective',
      '• Status: 🟢 In progress',
      '• In the meeting now: 5',
      'Live · updated 10:05',
      '[Refresh] [Members] [Watch] [Join ↗ https://meeting.dingtalk.com/app?roomCode=615902734]',
    ].join('\n'),
  )
  const withMembers = renderCard(card(2, { members: '- **Bob** (host)\n- Alice', note: '' }), plain)
  t.match(withMembers, /In the meeting now: 5\n• Bob \(host\)\n• Alice\n\[Refresh\]/)
  t.equal(
    buttonLine({ ...DATA, showJoin: 'false', watchLabel: '取消关注', refreshLabel: '刷新' }, plain),
    '[刷新] [Members] [取消关注]',
    'localized labels; no Join when not shown',
  )
  t.equal(buttonLine({ watchAction: 'unwatch' }, plain), '[Refresh] [Members] [Unwatch]', 'fallback labels')
  t.ok(renderCard(card(1), { color: true }).startsWith('\x1b[1mSprint 43 retrospective\x1b[22m\n'))
  t.equal(
    describePress(card(1), 'refresh', {
      via: 'stream',
      ms: 12,
      response: { cardData: { cardParamMap: { note: 'x' } } },
    }),
    'pressed [Refresh] on "Sprint 43 retrospective": the bot answered over stream in 12 ms, setting note',
  )
  t.match(
    describePress(card(1), 'unwatch', { via: 'http', ms: 3, response: null }),
    /\[Watch\].*with no card data$/,
  )
})

t.test('rows: wide characters count double, long lines wrap', async (t) => {
  t.equal(rowsOf('a\nb\n', 80), 2)
  t.equal(rowsOf('x'.repeat(80), 80), 1)
  t.equal(rowsOf('x'.repeat(81), 80), 2)
  t.equal(rowsOf('会议'.repeat(20), 80), 1)
  t.equal(rowsOf('会议'.repeat(21), 80), 2)
  t.equal(rowsOf('\x1b[1mbold\x1b[22m', 4), 1, 'escapes take no room')
  t.equal(rowsOf('a\nb', undefined), 2)
})

t.test('on a terminal the live card is redrawn in place while it is the last thing printed', async (t) => {
  const term = new FakeTerm(true, 40)
  const screen = new CardScreen(term, plain)
  screen.show(card(1), { foot: '(card, 20 ms)' })
  const first = term.take()
  t.match(first, /^Sprint 43 retrospective\n[\s\S]*\n\(card, 20 ms\)\n$/)
  const rows = rowsOf(first, 40)
  t.ok(rows > first.split('\n').length - 1, 'the Join line wraps at 40 columns and counts for two rows')
  screen.prompted()

  t.equal(screen.update(card(2, { note: 'Live · updated 10:06' })), 'redrawn')
  const redraw = term.take()
  t.ok(redraw.startsWith(`\r\x1b[${rows}A\x1b[J`), 'up over the rows it took, from the prompt row, and clear')
  t.match(redraw, /Live · updated 10:06\n[\s\S]*\(live card, updated \d\d:\d\d:\d\d\)\n$/)
  t.notMatch(redraw, /card updated/)
  t.equal(screen.update(card(2)), 'unchanged', 'a version already shown')
  t.equal(term.take(), '')

  // Something printed after it: the next version is printed anew, below, starting off the prompt row.
  screen.prompted()
  screen.write('Bob joined 615 902 734\n')
  term.take()
  screen.prompted()
  t.equal(screen.update(card(3, { activeNum: '6' })), 'printed')
  const anew = term.take()
  t.match(anew, /^\n\(card updated\)\nSprint 43 retrospective\n/)
  t.notOk(anew.includes('\x1b'), 'no escape codes: printed, not redrawn')
  // ...and that block is the live one now.
  t.equal(screen.update(card(4)), 'redrawn')
  t.ok(term.take().startsWith(`\r\x1b[${rowsOf(anew.slice(1), 40)}A\x1b[J(card updated)\n`))

  // A line typed below it counts as output too.
  screen.lineEntered()
  t.equal(screen.update(card(5)), 'printed')
})

t.test('not on a terminal every update is printed as a new block', async (t) => {
  const pipe = new FakeTerm(false)
  const screen = new CardScreen(pipe, plain)
  screen.show(card(1))
  pipe.take()
  t.equal(screen.update(card(2, { note: 'Final summary', status: 'ended' })), 'printed')
  t.equal(screen.update(card(3, { note: 'No longer updated: press Refresh' })), 'printed')
  const out = pipe.take()
  t.equal(out.match(/\(card updated\)\n/g)?.length, 2)
  t.match(out, /Final summary[\s\S]*No longer updated: press Refresh/)
  t.notOk(out.includes('\x1b'), 'no escape codes in a pipe')
  const json = new FakeTerm(true)
  const raw = new CardScreen(json, { color: false, json: true })
  raw.show(card(1))
  t.equal(raw.update(card(2)), 'printed', 'JSON output is never redrawn')
  const printed = json.take()
  t.match(printed, /"version": 1[\s\S]*"version": 2/)
  t.notOk(printed.includes('\x1b'))
})

t.test(':press parses its actions and is in :help', async (t) => {
  t.same(parseChatCommand(':press refresh'), { kind: 'press', action: 'refresh' })
  t.same(parseChatCommand(':press unwatch'), { kind: 'press', action: 'unwatch' })
  t.throws(() => parseChatCommand(':press join'), {
    message: /usage: :press refresh\|members\|watch\|unwatch/,
  })
  t.throws(() => parseChatCommand(':press'), { name: 'ChatError' })
  t.match(CHAT_COMMANDS_HELP, /:press refresh\|members\|watch\|unwatch/)
  t.same(cardSpace({ conversation: 'single', user: EMULATED_USERS.admin }), {
    type: 'IM_ROBOT',
    id: 'admin0001',
  })
})

/**
 * The emulator with its control API and a stand-in bot on its Stream gateway: it answers "meeting"
 * with a card in the group (createAndDeliver) and a click with a note.
 */
async function playground(t: Test) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: [],
    control: {
      info: () => ({
        clientId: CLIENT_ID,
        clientSecret: SECRET,
        robotCode: CLIENT_ID,
        botUrl: '',
        transports: ['stream'],
        meetings: [],
      }),
    },
  })
  t.teardown(() => emu.close())
  const token = await fetch(`${emu.baseUrl}/v1.0/oauth2/accessToken`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appKey: CLIENT_ID, appSecret: SECRET }),
  }).then(async (r) => ((await r.json()) as { accessToken: string }).accessToken)
  const api = (method: string, path: string, body: unknown) =>
    fetch(`${emu.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-acs-dingtalk-access-token': token },
      body: JSON.stringify(body),
    }).then((r) => r.json())
  const bot = await streamClient(emu, [
    { type: 'CALLBACK', topic: TOPIC_ROBOT },
    { type: 'CALLBACK', topic: CARD_CALLBACK_TOPIC },
  ])
  let n = 0
  bot.ws.on('message', (raw) => {
    const frame = JSON.parse(String(raw)) as { headers: { messageId: string; topic: string }; data: string }
    if (frame.headers.topic === CARD_CALLBACK_TOPIC) {
      const click = JSON.parse(frame.data) as { content: string; userId: string }
      const { action } = (JSON.parse(click.content) as { cardPrivateData: { params: { action: string } } })
        .cardPrivateData.params
      bot.ack(frame.headers.messageId, {
        response: { cardData: { cardParamMap: { note: `${action} by ${click.userId}` } } },
      })
      return
    }
    bot.ack(frame.headers.messageId, { response: null })
    void api('POST', '/v1.0/card/instances/createAndDeliver', {
      cardTemplateId: 'tpl.schema',
      outTrackId: `card-${++n}`,
      callbackType: 'STREAM',
      cardData: { cardParamMap: DATA },
      openSpaceId: `dtv1.card//IM_GROUP.${EMULATED_GROUP.id}`,
      imGroupOpenSpaceModel: { supportForward: true },
      imGroupOpenDeliverModel: { robotCode: CLIENT_ID },
    })
  })
  return { emu, api }
}

const GROUP = { user: EMULATED_USERS.user, conversation: 'group', transport: 'stream' } as const

t.test('the chat gets a card as its answer, follows its updates and presses its buttons', async (t) => {
  const { emu, api } = await playground(t)
  const client = new ChatClient(emu.baseUrl, 3000)
  const term = new FakeTerm(true)
  const screen = new CardScreen(term, plain)
  let target:
    | typeof GROUP
    | { user: typeof EMULATED_USERS.admin; conversation: 'single'; transport: 'stream' } = GROUP
  let answering: Promise<unknown> = Promise.resolve()
  const follow = followCards(
    client,
    () => ({ target, answering }),
    screen,
    () => screen.prompted(),
  )
  t.teardown(() => follow.stop())
  await follow.ready

  const sending = client.send('meeting 615902734', GROUP)
  answering = sending
  const answer = await sending
  t.equal(answer.via, 'card')
  t.match(answer.reply, { outTrackId: 'card-1', data: { title: DATA.title }, space: { type: 'IM_GROUP' } })
  screen.show(answer.reply as ChatCard, { foot: `(card, ${answer.ms} ms)` })
  screen.prompted()
  const shown = term.take()
  t.match(shown, /^Sprint 43 retrospective\n/)

  // The bot updates the card: the follower redraws it in place.
  await api('PUT', '/v1.0/card/instances', {
    outTrackId: 'card-1',
    cardData: { cardParamMap: { note: 'Live · updated 10:06' } },
    cardUpdateOptions: { updateCardDataByKey: true },
  })
  await emu.stream.waitFor(() => term.text.includes('10:06'), 3000, 'the redraw')
  const redrawn = term.take()
  t.ok(redrawn.startsWith(`\r\x1b[${rowsOf(shown, 80)}A\x1b[JSprint 43 retrospective\n`), 'redrawn in place')
  t.match(redrawn, /Live · updated 10:06/)

  // :press through the control API: the stand-in bot's answer is applied, the follower shows it.
  const latest = await client.latestCard(cardSpace(GROUP))
  t.equal(latest?.outTrackId, 'card-1')
  const pressed = await client.press('card-1', 'members', 'user0001')
  t.match(pressed, {
    via: 'stream',
    response: { cardData: { cardParamMap: { note: 'members by user0001' } } },
  })
  t.equal(emu.cards.get('card-1')?.data.note, 'members by user0001')
  await emu.stream.waitFor(() => term.text.includes('members by user0001'), 3000, 'the pressed update')
  await t.rejects(client.press('card-1', 'join', 'user0001'), {
    name: 'ChatError',
    message: /Join is a link/,
  })

  // A card in another chat is not this chat's; none yet in the admin's one-to-one chat.
  target = { user: EMULATED_USERS.admin, conversation: 'single', transport: 'stream' }
  t.equal(await client.latestCard(cardSpace(target)), undefined)
})
