import t from 'tap'
import { orgUser, robotTextMessage } from '../../../src/emulator/messages.js'
import { sampleIsvOrgs } from '../../../src/emulator/orgs.js'
import { startCluster } from '../../helpers/cluster.js'
import { CLIENT_ID, signedHeaders, waitFor } from '../../helpers/index.js'
import { ALPHA, BETA, TICKET } from './helpers.js'

t.test('two replicas share the suite ticket and each org’s token', async (t) => {
  const { emu, replicas } = await startCluster(t, {
    env: { DINGTALK_APP_TYPE: 'isv' },
    emulator: { isv: { ticket: TICKET, pushTicketOnConnect: false, orgs: sampleIsvOrgs(Date.now()) } },
  })
  const [a, b] = replicas
  if (!a || !b) return t.fail('two replicas')
  // DingTalk pushes the ticket to one connection: the other replica must find it in the store.
  emu.isv.pushTicket({ connection: a.connection })
  await waitFor(() => a.logs().some((l) => l.msg === 'suite ticket saved'), 10_000, 'the ticket saved')
  const ask = async (botUrl: string, corpId: string, text: string) => {
    const org = emu.isv.orgs.get(corpId)
    if (!org) throw new Error(`no org ${corpId}`)
    const msg = robotTextMessage({
      text,
      user: orgUser(org, 'user'),
      conversation: 'group',
      sessionWebhook: emu.newSessionWebhook(corpId),
      robotCode: CLIENT_ID,
      org,
    })
    const res = await fetch(`${botUrl}/dingtalk/callback`, {
      method: 'POST',
      headers: signedHeaders(),
      body: JSON.stringify(msg),
    })
    return JSON.stringify(await res.json())
  }
  t.match(await ask(b.botUrl, ALPHA, 'meeting 211300401'), /Alpha all-hands/, 'the other replica answers')
  t.match(await ask(a.botUrl, ALPHA, 'meeting 211300402'), /Alpha roadmap review/)
  t.match(await ask(a.botUrl, BETA, 'meeting 322400501'), /Beta sales kickoff/)
  t.match(await ask(b.botUrl, BETA, 'meeting 322400502'), /Beta design crit/)
  t.equal(emu.isv.callsOf(ALPHA, 'corp.token'), 1, 'one token fetch for org A across both replicas')
  t.equal(emu.isv.callsOf(BETA, 'corp.token'), 1, 'and one for org B')
  // Readiness looks in the store for a ticket another replica saved (at most once a second).
  let status = 0
  for (let i = 0; i < 30 && status !== 200; i++) {
    status = (await fetch(`${b.botUrl}/readyz`)).status
    if (status !== 200) await new Promise((r) => setTimeout(r, 200))
  }
  t.equal(status, 200, 'the replica that was not pushed the ticket is ready too')
})
