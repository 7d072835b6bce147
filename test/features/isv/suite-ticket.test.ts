import t, { type Test } from 'tap'
import { createApp } from '../../../src/app/index.js'
import { SUITE_TICKET_KEY, SuiteTickets } from '../../../src/dingtalk/suite-ticket.js'
import { DingTalkEmulator } from '../../../src/emulator/emulator.js'
import { type PushCredentials, suiteTicketEntry, syncPushBody } from '../../../src/emulator/event-push.js'
import { ISV_KEYSPACES, isvFeature } from '../../../src/features/isv/index.js'
import { MemoryStore } from '../../../src/store/memory.js'
import { EVENTS_PATH } from '../../../src/transports/http-events.js'
import { CLIENT_ID, captureLogger, FAST, fixtureMeetings, SECRET, testConfig } from '../../helpers/index.js'

const TOKEN = 'evtTok3n5Q9xLm2'
const AES_KEY = 'k7Qm2xP9vR4tY8wZ1cF6hJ3nB5gD0sA2eL7uI9oK4pM'
const CREDS: PushCredentials = { token: TOKEN, aesKey: AES_KEY, ownerKey: CLIENT_ID }
const ISV_CORP = 'dingisv7a6b5c4d'

/** The whole app (HTTP event push on) with the isv feature added, and its store. */
async function isvStack(t: Test) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: fixtureMeetings(),
  })
  const { log, capture } = captureLogger()
  const store = new MemoryStore()
  const tickets = new SuiteTickets({ store, suiteKey: CLIENT_ID, suiteSecret: SECRET })
  const app = await createApp({
    config: testConfig(emu, { DINGTALK_EVENT_TOKEN: TOKEN, DINGTALK_EVENT_AES_KEY: AES_KEY }),
    log,
    tuning: FAST,
    store,
    extraFeatures: [isvFeature({ tickets })],
  })
  const url = await app.server.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => {
    await app.stop()
    await emu.close()
  })
  const push = (body: unknown) => emu.eventPush.send(`${url}${EVENTS_PATH}`, body, CREDS)
  return { emu, app, capture, store, tickets, push }
}

/** A new-style push of a suite ticket born at `at` (the SyncHTTP form has no time of its own). */
function ticketBody(ticket: unknown, at: number, id: string) {
  return { EventType: 'suite_ticket', EventId: id, CorpId: ISV_CORP, TimeStamp: at, suiteTicket: ticket }
}

t.test('a suite ticket pushed over HTTP is saved, sealed at rest, never logged', async (t) => {
  const s = await isvStack(t)
  t.equal(await s.tickets.latest(), undefined, 'no ticket before the first push')
  const before = Date.now()
  const r = await s.push(syncPushBody([suiteTicketEntry('TICKETa1b2c3d4e5', ISV_CORP, CLIENT_ID)]))
  t.ok(r.success, r.problem ?? 'answered success')
  const latest = await s.tickets.latest()
  t.equal(latest?.ticket, 'TICKETa1b2c3d4e5')
  t.ok((latest?.at ?? 0) >= before, 'born when it arrived (SyncHTTP says no time)')
  t.match(s.capture.find('event handled'), [{ eventType: 'suite_ticket', outcome: 'handled' }])

  const raw = (await s.store.get(SUITE_TICKET_KEY)) as string
  t.ok(raw.startsWith('v1.'), 'sealed')
  t.notMatch(raw, 'TICKETa1b2c3d4e5', 'the ticket itself is not in the store')
  // Another suite's secret cannot open it.
  t.equal(
    await new SuiteTickets({ store: s.store, suiteKey: CLIENT_ID, suiteSecret: 'other' }).latest(),
    undefined,
  )
  t.notOk(s.capture.raw.includes('TICKETa1b2c3d4e5'), 'the ticket is in no log line')
})

t.test('the newest ticket wins, whatever order the pushes arrive in', async (t) => {
  const s = await isvStack(t)
  const at = 1764730000000
  t.ok((await s.push(ticketBody('TICKETnewer02', at + 5 * 3600_000, 'evtNew'))).success)
  t.ok((await s.push(ticketBody('TICKETolder01', at, 'evtOld'))).success, 'a late re-push is still success')
  t.same(
    await s.tickets.latest(),
    { ticket: 'TICKETnewer02', at: at + 5 * 3600_000 },
    'the older one did not overwrite',
  )
  t.match(s.capture.find('suite ticket older than the stored one, not kept'), [{ kept: false }])
  t.ok((await s.push(ticketBody('TICKETnewest3', at + 10 * 3600_000, 'evtNewest'))).success)
  t.equal((await s.tickets.latest())?.ticket, 'TICKETnewest3', 'a newer one replaces it')
  for (const tk of ['TICKETnewer02', 'TICKETolder01', 'TICKETnewest3']) t.notOk(s.capture.raw.includes(tk))
})

t.test('a suite_ticket event without a usable ticket is ignored with a debug line', async (t) => {
  const s = await isvStack(t)
  t.ok((await s.push(ticketBody('TICKETgood001', 1764730000000, 'evtGood'))).success)
  const bad = [42, '', 'has spaces in it', 'x'.repeat(600), { nested: 'TICKETx' }]
  for (const [i, ticket] of bad.entries()) {
    t.ok((await s.push(ticketBody(ticket, 1764740000000 + i, `evtBad${i}`))).success)
  }
  t.equal(s.capture.find('suite_ticket event without a usable ticket ignored').length, bad.length)
  t.ok(s.capture.find('suite_ticket event without a usable ticket ignored').every((l) => l.level === 20))
  t.equal((await s.tickets.latest())?.ticket, 'TICKETgood001', 'the stored ticket is unchanged')
})

t.test('SuiteTickets: concurrent saves keep the newest; a foreign value is replaced', async (t) => {
  const store = new MemoryStore()
  store.declare(ISV_KEYSPACES)
  const tickets = new SuiteTickets({ store, suiteKey: CLIENT_ID, suiteSecret: SECRET })
  const saves = Array.from({ length: 20 }, (_, i) =>
    tickets.save(`TICKET${String(i).padStart(3, '0')}`, 1000 + i),
  )
  await Promise.all(saves)
  t.same(await tickets.latest(), { ticket: 'TICKET019', at: 1019 })
  t.equal(await tickets.save('TICKET019', 1019), true, 'the same ticket again: still the latest')
  t.equal(await tickets.save('TICKETold', 5), false)
  await store.set(SUITE_TICKET_KEY, 'not sealed at all')
  t.equal(await tickets.latest(), undefined, 'a value that does not open is no ticket')
  t.equal(await tickets.save('TICKETafter', 1), true, 'and is overwritten by the next save')
  t.same(await tickets.latest(), { ticket: 'TICKETafter', at: 1 })
})
