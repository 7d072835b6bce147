import type { DingTalkEmulator } from '../../../src/emulator/emulator.js'
import type { EmulatorIsvOptions } from '../../../src/emulator/isv.js'
import { orgUser, robotTextMessage } from '../../../src/emulator/messages.js'
import { type EmulatorOrg, sampleIsvOrgs } from '../../../src/emulator/orgs.js'
import { CLIENT_ID, type Stack, signedHeaders, startStreamStack, waitFor } from '../../helpers/index.js'

export const ALPHA = 'dingcorpAlpha'
export const BETA = 'dingcorpBeta'
export const TICKET = 'TICKETisvBot0001'

/**
 * A third-party app (`DINGTALK_APP_TYPE=isv`) on both transports against the emulator's ISV mode
 * with its two sample orgs. The ticket comes over Stream when the bot connects, unless `noTicket`.
 */
export async function isvStack(
  t: Parameters<typeof startStreamStack>[0],
  opts: {
    env?: Record<string, string>
    isv?: Partial<EmulatorIsvOptions>
    noTicket?: boolean
    orgs?: EmulatorOrg[]
  } = {},
) {
  const s = await startStreamStack(t, {
    env: { DINGTALK_APP_TYPE: 'isv', DINGTALK_TRANSPORTS: 'stream,http', ...opts.env },
    emulator: {
      isv: {
        ticket: TICKET,
        pushTicketOnConnect: !opts.noTicket,
        orgs: opts.orgs ?? sampleIsvOrgs(Date.now()),
        ...opts.isv,
      },
    },
  })
  if (!opts.noTicket) await waitFor(() => s.capture.find('suite ticket saved').length > 0, 5000, 'the ticket')
  return { ...s, ...talk(s) }
}

export interface Said {
  readonly text: string
  readonly via: 'inline' | 'webhook'
}

function replyText(body: Record<string, unknown>): string {
  const b = body as {
    text?: { content?: string }
    markdown?: { text?: string; title?: string }
    actionCard?: { text?: string; title?: string }
  }
  const card = b.markdown ?? b.actionCard
  return b.text?.content ?? `${card?.title ?? ''}\n${card?.text ?? ''}`
}

/** Speaking as a user of an org, over HTTP or Stream, and reading the answer. */
export function talk(s: Stack) {
  const org = (corpId: string) => {
    return s.emu.isv.orgs.get(corpId) ?? { corpId, name: corpId, meetings: [] }
  }
  const message = (
    corpId: string,
    text: string,
    who = 'user',
    conversation: 'group' | 'single' = 'group',
  ) => {
    const o = org(corpId)
    return robotTextMessage({
      text,
      user: orgUser(o, who),
      conversation,
      sessionWebhook: s.emu.newSessionWebhook(corpId),
      robotCode: CLIENT_ID,
      org: o,
    })
  }
  /** Asks over HTTP; the answer inline, or at the message's session webhook. */
  const ask = async (corpId: string, text: string, who = 'user'): Promise<Said> => {
    const msg = message(corpId, text, who)
    const res = await s.post(msg, signedHeaders())
    const body = (await res.json()) as Record<string, unknown>
    if (body.msgtype && body.msgtype !== 'empty') return { text: replyText(body), via: 'inline' }
    return { text: await webhookAnswer(s.emu, msg.sessionWebhook), via: 'webhook' }
  }
  /** Asks over Stream; the answer at the session webhook. */
  const askStream = async (corpId: string, text: string, who = 'user'): Promise<Said> => {
    const msg = message(corpId, text, who)
    s.emu.stream.push(msg)
    return { text: await webhookAnswer(s.emu, msg.sessionWebhook), via: 'webhook' }
  }
  return { message, ask, askStream }
}

async function webhookAnswer(emu: DingTalkEmulator, url: string): Promise<string> {
  const session = new URL(url).searchParams.get('session')
  await waitFor(() => emu.replies.some((r) => r.session === session), 5000, 'the webhook answer')
  const r = emu.replies.find((x) => x.session === session)
  return replyText(r?.body ?? {})
}
