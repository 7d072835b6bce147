import t from 'tap'
import { robotMessage, signedHeaders, startStack } from '../helpers/index.js'

t.test('a signed "meeting 615902734" is answered inline with the live meeting card', async (t) => {
  const s = await startStack(t)
  const res = await s.post(
    robotMessage({ text: ' meeting 615902734', sessionWebhook: s.emu.newSessionWebhook() }),
  )
  t.equal(res.status, 200)
  const body = (await res.json()) as {
    msgtype: string
    actionCard: { title: string; text: string; singleURL: string }
  }
  t.equal(body.msgtype, 'actionCard')
  t.match(body.actionCard.text, /Sprint 43 retrospective/)
  t.match(body.actionCard.text, /5 in the meeting now · 6 joined in total · 14 invited/)
  t.equal(body.actionCard.singleURL, 'https://meeting.dingtalk.com/app?roomCode=615902734&token=1_4c7f')
  t.equal(s.emu.count('conference.byRoomCode'), 1)
  t.equal(s.emu.count('conference.info'), 1)
  t.equal(s.emu.count('token'), 1)
})

t.test('bad signature is 401 and nothing runs', async (t) => {
  const s = await startStack(t)
  const res = await s.post(robotMessage({ text: 'meeting 615902734' }), signedHeaders('wrong-secret'))
  t.equal(res.status, 401)
  t.equal(s.emu.count('token'), 0)
})
