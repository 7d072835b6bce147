import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { DATA_FILE, SqliteStore } from '../../../src/store/sqlite.js'
import { robotMessage, startStreamStack, waitFor } from '../../helpers/index.js'

const ASK = ' meeting 615902734'

t.test('a frame is acked only once its message is committed to the data file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'meeting-bot-stream-inbox-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const store = await SqliteStore.open(dir)
  const s = await startStreamStack(t, { store })
  s.emu.fail('conference.byRoomCode', { delayMs: 600 })
  const msg = robotMessage({ text: ASK, sessionWebhook: s.emu.newSessionWebhook() })
  const messageId = s.gw.push(msg)
  await s.gw.waitForAck(messageId)
  // Another connection to the file, right at the ack: the row is there, not only in memory.
  const db = new Database(join(dir, DATA_FILE), { readonly: true })
  t.teardown(() => db.close())
  const row = db.prepare('SELECT key FROM kv WHERE key = ?').get(`inbox:${msg.msgId}`)
  t.ok(row, 'in the file when DingTalk heard "received"')
  await s.emu.waitForReplies(1)
  await waitFor(() => s.capture.find('message handled').length === 1)
})

t.test('a redelivery of a frame not acked in time (new messageId) is answered once', async (t) => {
  const s = await startStreamStack(t, { gateway: { redeliverAfterMs: 100 } })
  s.emu.fail('conference.byRoomCode', { delayMs: 500 })
  const msg = robotMessage({ text: ASK, sessionWebhook: s.emu.newSessionWebhook() })
  // The gateway pushes it twice, under two messageIds: a slow ack (as DingTalk would see it).
  s.gw.push(msg)
  s.gw.push(msg)
  await s.emu.waitForReplies(1)
  await new Promise((r) => setTimeout(r, 300))
  t.equal(s.emu.replies.length, 1, 'one answer')
})

t.test('over BOT_MAX_PENDING the socket is not read; everything is answered once all the same', async (t) => {
  const s = await startStreamStack(t, {
    env: { BOT_MAX_PENDING: '10' },
    tuning: { pacing: { limit: 1000, windowMs: 60_000, maxWaitMs: 60_000 } },
  })
  s.emu.fail('conference.byRoomCode', { delayMs: 300, times: 1000 })
  const msgs = Array.from({ length: 40 }, (_, i) =>
    robotMessage({ text: ASK, conversationId: `cidflood${i}`, sessionWebhook: s.emu.newSessionWebhook() }),
  )
  for (const m of msgs) s.gw.push(m)
  await s.emu.waitForReplies(40, 15_000)
  await new Promise((r) => setTimeout(r, 300))
  const sessions = new Set(s.emu.replies.map((r) => r.session))
  t.equal(s.emu.replies.length, 40, 'every message answered')
  t.equal(sessions.size, 40, 'none twice')
  t.ok(s.capture.find('backlog full: not reading the stream').length >= 1, 'it pushed back')
  t.ok(s.capture.find('backlog has room: reading the stream again').length >= 1, 'and read on')
})
