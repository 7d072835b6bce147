import WebSocket from 'ws'
import type { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { GATEWAY_OPEN_PATH, TOPIC_ROBOT } from '../../src/emulator/gateway.js'
import { CLIENT_ID, SECRET } from './index.js'

export const ROBOT_ONLY = [{ type: 'CALLBACK', topic: TOPIC_ROBOT }]
export const WITH_EVENTS = [...ROBOT_ONLY, { type: 'EVENT', topic: '*' }]

export type Frame = {
  type: string
  headers: { messageId: string; eventId: string; eventType: string; [k: string]: string }
  data: string
}

/**
 * A bare Stream client on the emulator's gateway: opens with the given subscriptions, records
 * every frame, acks nothing unless told. Resolves once the socket is open.
 */
export async function streamClient(emu: DingTalkEmulator, subscriptions: unknown[] = WITH_EVENTS) {
  const res = await fetch(`${emu.baseUrl}${GATEWAY_OPEN_PATH}`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: CLIENT_ID, clientSecret: SECRET, ua: 'test', subscriptions }),
  })
  const { endpoint, ticket } = (await res.json()) as { endpoint: string; ticket: string }
  const frames: Frame[] = []
  const ws = new WebSocket(`${endpoint}?ticket=${ticket}`)
  ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Frame))
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return {
    ws,
    frames,
    events: () => frames.filter((f) => f.type === 'EVENT'),
    ack(messageId: string, data: unknown = { status: 'SUCCESS', message: 'success' }) {
      ws.send(
        JSON.stringify({
          code: 200,
          headers: { contentType: 'application/json', messageId },
          message: 'OK',
          data: JSON.stringify(data),
        }),
      )
    },
  }
}
