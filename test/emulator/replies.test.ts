import t from 'tap'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { CLIENT_ID, SECRET } from '../helpers/index.js'

// Proactive sends (the watch feature's notices) are recorded as replies by conversation, and the
// control API pages through them by id, as `npm run chat` does to print notices when they arrive.
t.test('robot OpenAPI sends are recorded by conversation; /_emulator/replies pages by id', async (t) => {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: [],
    control: { info: () => ({}) },
  })
  t.teardown(() => emu.close())
  const token = (
    (await (
      await fetch(`${emu.baseUrl}/v1.0/oauth2/accessToken`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appKey: CLIENT_ID, appSecret: SECRET }),
      })
    ).json()) as { accessToken: string }
  ).accessToken
  const send = (path: string, body: Record<string, unknown>) =>
    fetch(`${emu.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-acs-dingtalk-access-token': token },
      body: JSON.stringify({
        robotCode: CLIENT_ID,
        msgKey: 'sampleText',
        msgParam: '{"content":"hi"}',
        ...body,
      }),
    })
  const replies = async (q: Record<string, string>) =>
    (await (await fetch(`${emu.baseUrl}/_emulator/replies?${new URLSearchParams(q)}`)).json()) as {
      replies: Array<{
        id: number
        via: string
        conversationId?: string
        userIds?: string[]
        session?: string
      }>
      last: number
    }

  t.equal((await send('/v1.0/robot/groupMessages/send', { openConversationId: 'cidA==' })).status, 200)
  t.equal((await send('/v1.0/robot/oToMessages/batchSend', { userIds: ['user7'] })).status, 200)
  const hook = await fetch(`${emu.baseUrl}/robot/sendBySession?session=chatabc-1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ msgtype: 'text', text: { content: 'by webhook' } }),
  })
  t.equal(hook.status, 200)
  t.match(emu.replies, [
    {
      id: 1,
      via: 'openapi',
      conversationId: 'cidA==',
      body: { msgKey: 'sampleText', msgParam: { content: 'hi' } },
    },
    { id: 2, via: 'openapi', userIds: ['user7'] },
    { id: 3, via: 'webhook', session: 'chatabc-1' },
  ])

  t.match(await replies({ conversationId: 'cidA==' }), { replies: [{ id: 1 }], last: 3 }, 'a group')
  t.match(await replies({ userId: 'user7' }), { replies: [{ id: 2 }] }, 'a person')
  t.match(
    await replies({ sessionPrefix: 'chatabc-' }),
    { replies: [{ id: 3 }] },
    'every session of one chat client',
  )
  const all = { conversationId: 'cidA==', userId: 'user7', sessionPrefix: 'chatabc-' }
  t.same(
    (await replies(all)).replies.map((r) => r.id),
    [1, 2, 3],
  )
  t.same(
    (await replies({ ...all, after: '2' })).replies.map((r) => r.id),
    [3],
    'after an id',
  )
  const started = Date.now()
  const none = await replies({ ...all, after: '3', waitMs: '200' })
  t.same(none.replies, [], 'nothing newer: an empty answer once the wait is over')
  t.ok(Date.now() - started >= 150, 'it waited')
  t.equal(
    (await send('/v1.0/robot/groupMessages/send', { openConversationId: 'cidA==', msgParam: 'not json' }))
      .status,
    400,
  )
})
