import t from 'tap'
import { type Tenant, Tenants } from '../../src/app/tenants.js'
import { OrgNotAuthorizedError } from '../../src/dingtalk/corp-token.js'
import { AuthorizedOrgs, OrgNotServedError, orgKeyspace } from '../../src/dingtalk/orgs.js'
import { MemoryStore } from '../../src/store/memory.js'
import { captureLogger } from '../helpers/index.js'

/** Why the org is not served (the error's reason), or 'served'. */
async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'served'
  } catch (err) {
    return err instanceof OrgNotServedError ? err.reason : String(err)
  }
}

function setup(authorized: readonly string[]) {
  const store = new MemoryStore()
  store.declare([orgKeyspace])
  let now = 1_000_000
  const clock = () => now
  const orgs = new AuthorizedOrgs(store, clock)
  const probes: string[] = []
  const started: string[] = []
  const stopped: string[] = []
  const tenants = new Tenants<Tenant>({
    orgs,
    probe: async (corpId) => {
      probes.push(corpId)
      if (!authorized.includes(corpId))
        throw new OrgNotAuthorizedError(corpId, { cause: new Error('invalidAuthInfo') })
      return 'token'
    },
    make: (corpId) => ({
      corpId,
      background: [{ start: () => void started.push(corpId), stop: async () => void stopped.push(corpId) }],
    }),
    log: captureLogger().log,
    clock,
  })
  return { store, orgs, tenants, probes, started, stopped, advance: (ms: number) => (now += ms) }
}

t.test('an org is served once DingTalk gives us its token, and recorded', async (t) => {
  const s = setup(['dingcorpAlpha'])
  const [a, again] = await Promise.all([s.tenants.get('dingcorpAlpha'), s.tenants.get('dingcorpAlpha')])
  t.equal(a, again, 'one tenant per org, however many ask at once')
  t.same(s.probes, ['dingcorpAlpha'], 'one probe')
  t.equal((await s.orgs.get('dingcorpAlpha'))?.state, 'authorized')
  t.equal((await s.orgs.get('dingcorpAlpha'))?.via, 'token')
  await s.tenants.get('dingcorpAlpha')
  t.same(s.probes, ['dingcorpAlpha'], 'a served org is not probed again')
})

t.test(
  'an org that has not authorized the app is refused, and not asked about again for a while',
  async (t) => {
    const s = setup([])
    await t.rejects(s.tenants.get('dingcorpStranger'), OrgNotServedError)
    t.equal(await reason(s.tenants.get('dingcorpStranger')), 'not-authorized')
    t.same(s.probes, ['dingcorpStranger'], 'the second message fetched nothing')
    s.advance(10 * 60_000)
    t.equal(await reason(s.tenants.get('dingcorpStranger')), 'not-authorized')
    t.equal(s.probes.length, 2, 'asked again after the quiet period')
    t.equal(await reason(s.tenants.get('')), 'no-org')
    t.equal(await reason(s.tenants.get('bad/corp')), 'not-authorized')
    t.equal(s.probes.length, 2, 'a missing or malformed org is never probed')
  },
)

t.test('org events: authorize, relieve, and an older event never undoes a newer one', async (t) => {
  const s = setup([])
  t.ok(await s.tenants.authorize('dingcorpBeta', 2000))
  await s.tenants.start()
  const beta = await s.tenants.get('dingcorpBeta')
  t.same(s.probes, [], 'an org that authorized by event needs no probe')
  t.same(s.started, ['dingcorpBeta'], 'built after start: its background starts at once')
  t.ok(await s.tenants.relieve('dingcorpBeta', 3000))
  t.same(s.stopped, ['dingcorpBeta'], 'its background stopped')
  t.equal(await reason(s.tenants.get('dingcorpBeta')), 'relieved')
  t.notOk(await s.tenants.authorize('dingcorpBeta', 2500), 'a late re-push of the older auth is not applied')
  t.equal(await reason(s.tenants.get('dingcorpBeta')), 'relieved')
  t.same(s.probes, [], 'nothing fetched for a relieved org')
  t.equal(s.tenants.peek('dingcorpBeta'), undefined)
  t.ok(await s.tenants.authorize('dingcorpBeta', 4000), 'installed again')
  const back = await s.tenants.get('dingcorpBeta')
  t.not(back, beta, 'a new tenant: the old one stopped for good')
})

t.test(
  'start builds every authorized org on record (their watches resume), and no relieved one',
  async (t) => {
    const s = setup([])
    await s.orgs.set({ corpId: 'dingcorpAlpha', state: 'authorized', at: 1, via: 'event' })
    await s.orgs.set({ corpId: 'dingcorpGone', state: 'relieved', at: 1, via: 'event' })
    await s.tenants.start()
    await s.tenants.start()
    t.same(s.started, ['dingcorpAlpha'], 'started once')
    t.same(
      s.tenants.list().map((x) => x.corpId),
      ['dingcorpAlpha'],
    )
    await s.tenants.stop()
    t.same(s.stopped, ['dingcorpAlpha'])
  },
)

t.test('another replica’s relieve is seen within the freshness window', async (t) => {
  const s = setup(['dingcorpAlpha'])
  await s.tenants.get('dingcorpAlpha')
  const other = new AuthorizedOrgs(s.store, () => 5_000_000)
  await other.set({ corpId: 'dingcorpAlpha', state: 'relieved', at: 5_000_000, via: 'event' })
  s.advance(31_000)
  t.equal(await reason(s.tenants.get('dingcorpAlpha')), 'relieved')
})
