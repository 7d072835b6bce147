import type { Socket } from 'node:net'
import type { WebSocket } from 'ws'

const corked = new WeakSet<Socket>()

/**
 * Holds the frames sent on `ws` during the current task (its microtasks included) and writes them
 * in one go after it: one syscall, and one wake-up of the reader, for a burst instead of one per
 * frame. Used by both ends of the Stream socket: the bot's acks of one commit, the emulator's push
 * of one batch (`npm run bench`, stream: a write per frame was a writev per ack).
 */
export function corkForTask(ws: WebSocket): void {
  // ws keeps its net socket in a field that is not part of its types; without one, no cork.
  const socket = (ws as unknown as { _socket?: Socket | null })._socket
  if (!socket || corked.has(socket)) return
  corked.add(socket)
  socket.cork()
  process.nextTick(() => {
    corked.delete(socket)
    socket.uncork()
  })
}
