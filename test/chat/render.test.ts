import t from 'tap'
import { renderReply } from '../../src/chat/render.js'
import type { ConferenceInfo } from '../../src/dingtalk/conference.js'
import { meetingCard } from '../../src/features/meeting/card.js'
import { fixture } from '../helpers/index.js'

const plain = { color: false }

t.test('text, markdown and actionCard replies read well in a terminal', async (t) => {
  t.equal(renderReply({ msgtype: 'text', text: { content: '@u hi' } }, plain), '@u hi')
  const md = renderReply(
    {
      msgtype: 'markdown',
      markdown: {
        title: 'x',
        text: '#### Title\n- **Status:** ok\n> note\n[docs](https://x.y/z) \\*not bold\\* &lt;b&gt;',
      },
    },
    plain,
  )
  t.equal(md, 'Title\n• Status: ok\n│ note\ndocs <https://x.y/z> *not bold* <b>')
  const live = fixture<{ confInfo: ConferenceInfo }>('conference-info-live').confInfo
  const card = meetingCard(
    { conference: live, sharedCount: 1, choice: 'byId' },
    { locale: 'en', timeZone: 'Asia/Shanghai', now: (live.startTime as number) + 60_000 },
  )
  const out = renderReply(card, plain)
  t.match(out, /^Sprint 43 retrospective\n• Status: 🟢 In progress\n/)
  t.match(out, /\n\[ Join meeting \] https:\/\/meeting\.dingtalk\.com\/app\?roomCode=615902734&token=1_4c7f$/)
})

t.test('colour is ANSI bold and cyan, only when asked', async (t) => {
  const out = renderReply(
    { msgtype: 'markdown', markdown: { title: 'x', text: '**b** [l](https://u)' } },
    { color: true },
  )
  t.equal(out, '\x1b[1mb\x1b[22m l <\x1b[36mhttps://u\x1b[39m>')
})

t.test('robot OpenAPI replies (msgKey + msgParam) render like their webhook twins', async (t) => {
  t.equal(renderReply({ msgKey: 'sampleText', msgParam: { content: 'hi' } }, plain), 'hi')
  t.equal(renderReply({ msgKey: 'sampleMarkdown', msgParam: { title: 't', text: '**x**' } }, plain), 'x')
  t.equal(
    renderReply(
      {
        msgKey: 'sampleActionCard',
        msgParam: { title: 't', text: 'body', singleTitle: 'Go', singleURL: 'https://g' },
      },
      plain,
    ),
    'body\n[ Go ] https://g',
  )
  t.equal(
    renderReply({ msgKey: 'sampleImageMsg', msgParam: {} }, plain),
    '{"msgKey":"sampleImageMsg","msgParam":{}}',
  )
  t.equal(renderReply({ msgtype: 'feedCard' }, plain), '{"msgtype":"feedCard"}')
})
