import type { Socket } from 'node:net'
import t from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import { corkForTask } from '../../src/dingtalk/ws-cork.js'

async function pair(t: { teardown(fn: () => unknown): void }) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((r) => wss.once('listening', r))
  const got: string[] = []
  const chunks: number[] = []
  wss.on('connection', (s, req) => {
    req.socket.on('data', (d: Buffer) => chunks.push(d.length))
    s.on('message', (d) => got.push(d.toString()))
  })
  const { port } = wss.address() as { port: number }
  const ws = new WebSocket(`ws://127.0.0.1:${port}`)
  await new Promise((r) => ws.once('open', r))
  t.teardown(() => {
    ws.terminate()
    wss.close()
  })
  const socket = (ws as unknown as { _socket: Socket })._socket
  return { ws, socket, got, chunks }
}

t.test('the frames one task sends leave in one write, after the task', async (t) => {
  const { ws, socket, got } = await pair(t)
  // Every write a net socket makes, vectored or not, goes through this (Node's own, untyped).
  const raw = socket as unknown as { _writeGeneric: (...args: unknown[]) => unknown }
  let writes = 0
  const write = raw._writeGeneric.bind(socket)
  raw._writeGeneric = (...args: unknown[]) => {
    writes++
    return write(...args)
  }
  for (let i = 0; i < 50; i++) {
    corkForTask(ws)
    ws.send(`ack ${i}`)
  }
  t.equal(socket.writableCorked, 1, 'corked once, however many sends')
  t.equal(writes, 0, 'nothing written during the task')
  await new Promise((r) => setImmediate(r))
  t.equal(socket.writableCorked, 0, 'uncorked once the task is through')
  t.equal(writes, 1, 'one write for the fifty frames')
  const deadline = Date.now() + 2000
  while (got.length < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
  t.same(
    got,
    Array.from({ length: 50 }, (_, i) => `ack ${i}`),
    'all received, in order',
  )
  ws.send('later')
  t.equal(socket.writableCorked, 0, 'a send in a later task without the cork goes out at once')
})

t.test('a socket that is gone: no cork, no throw', async (t) => {
  const { ws } = await pair(t)
  ws.terminate()
  await new Promise((r) => ws.once('close', r))
  t.doesNotThrow(() => corkForTask(ws))
})
