import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { Inbox, inboxKeyspace, livenessKeyspace, MAX_AGE_MS } from '../../src/core/inbox.js'
import { toInboundMessage } from '../../src/dingtalk/robot-message.js'
import { MemoryStore } from '../../src/store/memory.js'
import { Sealer } from '../../src/store/sealer.js'
import { SqliteStore } from '../../src/store/sqlite.js'
import { CLIENT_ID, captureLogger, robotMessage, SECRET, startStack, waitFor } from '../helpers/index.js'

t.test(
  'after a restart, what the inbox owes is answered, oldest first; too old is dropped and counted',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'meeting-bot-recovery-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const store = await SqliteStore.open(dir)
    const owed: ReturnType<typeof robotMessage>[] = []
    const s = await startStack(t, {
      store,
      // A process that was killed: its inbox entries are in the file, its liveness gone with it.
      before: async (emu) => {
        store.declare([inboxKeyspace, livenessKeyspace])
        const dead = new Inbox(store, {
          owner: 'killed',
          codec: new Sealer(SECRET, CLIENT_ID, 'inbox'),
          log: captureLogger().log,
          leaseMs: 60_000,
        })
        for (const minutesAgo of [3, 2, 1]) {
          owed.push(
            robotMessage({
              text: 'help',
              createAt: Date.now() - minutesAgo * 60_000,
              conversationId: `cidowed${minutesAgo}`,
              sessionWebhook: emu.newSessionWebhook(),
            }),
          )
        }
        const stale = robotMessage({ text: 'help', createAt: Date.now() - MAX_AGE_MS - 60_000 })
        for (const p of [...owed, stale]) await dead.keep(toInboundMessage(p, 'stream', Date.now()))
      },
    })
    await s.emu.waitForReplies(3, 5000)
    t.same(
      s.emu.replies.map((r) => r.session),
      owed.map((p) => new URL(p.sessionWebhook).searchParams.get('session')),
      'every owed message answered once, oldest first',
    )
    await waitFor(() => s.capture.find('message handled').length === 3)
    // The entries leave just after the answer (done, then released).
    for (let i = 0; i < 100 && (await store.entries('inbox:')).length > 0; i++) await sleep(10)
    t.same(await store.entries('inbox:'), [], 'nothing owed any more')
    t.match(s.capture.find('answering messages left unanswered by a stopped instance')[0], {
      recovered: 3,
      tooOld: 1,
    })
    const metrics = await (await fetch(`${s.url}/metrics`)).text()
    t.match(metrics, 'meetingbot_inbox_recovered 3')
    t.match(metrics, 'meetingbot_inbox_too_old 1')
  },
)

/** A store whose de-dup claims fail the first `failures` times: the ledger "cannot answer". */
class FlakyLedgerStore extends MemoryStore {
  constructor(public failures: number) {
    super()
  }
  override async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (key.startsWith('dedupe:') && this.failures > 0) {
      this.failures--
      throw new Error('ledger away')
    }
    return super.setIfAbsent(key, value, ttlMs)
  }
}

t.test(
  'a live bot: a kept message its ledger could not claim is tried again, not left until a restart',
  async (t) => {
    const store = new FlakyLedgerStore(2)
    const s = await startStack(t, { store, env: { DINGTALK_TRANSPORTS: 'stream,http' } })
    await waitFor(() => s.emu.stream.liveConnections().length === 1, 5000, 'the stream')
    const payload = robotMessage({ text: 'help', sessionWebhook: s.emu.newSessionWebhook() })
    await s.emu.stream.waitForAck(s.emu.stream.push(payload))
    await s.emu.waitForReplies(1, 8000)
    t.equal(store.failures, 0, 'the ledger failed twice first')
    t.equal(s.capture.find('de-duplication ledger unavailable; not handled, tried again later').length, 2)
    t.equal(s.emu.replies.length, 1, 'answered once, by the third try')
    t.equal(s.capture.find('trying again messages not handled before').length, 2, 'each try logged...')
    t.equal(
      s.capture.find('answering messages left unanswered by a stopped instance').length,
      0,
      '...not as a dead instance’s messages',
    )
    await waitFor(() => s.capture.find('message handled').some((l) => l.outcome === 'answered'))
    for (let i = 0; i < 100 && (await store.entries('inbox:')).length > 0; i++) await sleep(10)
    t.same(await store.entries('inbox:'), [], 'nothing owed any more')
    await sleep(1200)
    t.equal(s.emu.replies.length, 1, 'and not answered again')
  },
)
