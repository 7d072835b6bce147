import type { Test } from 'tap'
import { DingTalkEmulator, type EmulatorOptions } from '../../src/emulator/emulator.js'
import type { EmulatorIsvOptions } from '../../src/emulator/isv.js'
import { sampleIsvOrgs } from '../../src/emulator/orgs.js'
import { CLIENT_ID, SECRET } from '../helpers/index.js'

export const TICKET = 'TICKETisvTest0001'
export const ALPHA = 'dingcorpAlpha'
export const BETA = 'dingcorpBeta'

export interface Answer {
  readonly status: number
  readonly body: Record<string, unknown>
}

/**
 * The emulator in ISV mode with the two sample orgs (suite key = CLIENT_ID, ticket TICKET, no
 * ticket pushed on connect unless told), and helpers to call it: `token(corpId)` an org token,
 * `call` an OpenAPI with a token, `control` the control API.
 */
export async function isvEmulator(
  t: Test,
  isv: Partial<EmulatorIsvOptions> = {},
  opts: Partial<EmulatorOptions> = {},
) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: [],
    control: { info: () => ({ botUrl: '' }) },
    isv: { ticket: TICKET, pushTicketOnConnect: false, orgs: sampleIsvOrgs(Date.now()), ...isv },
    ...opts,
  })
  t.teardown(() => emu.close())
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const r = await fetch(`${emu.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })
    return { status: r.status, body: (await r.json()) as Record<string, unknown> }
  }
  const corpToken = (corpId: string, ticket = TICKET) =>
    post('/v1.0/oauth2/corpAccessToken', {
      suiteKey: CLIENT_ID,
      suiteSecret: SECRET,
      authCorpId: corpId,
      suiteTicket: ticket,
    })
  const token = async (corpId: string): Promise<string> => {
    const r = await corpToken(corpId)
    if (r.status !== 200) throw new Error(`no token for ${corpId}: ${JSON.stringify(r.body)}`)
    return r.body.accessToken as string
  }
  const appToken = async (): Promise<string> =>
    (await post('/v1.0/oauth2/accessToken', { appKey: CLIENT_ID, appSecret: SECRET })).body
      .accessToken as string
  const call = async (method: string, path: string, token: string, body?: unknown): Promise<Answer> => {
    const r = await fetch(`${emu.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-acs-dingtalk-access-token': token },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return { status: r.status, body: (await r.json()) as Record<string, unknown> }
  }
  const control = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const r = await fetch(`${emu.baseUrl}/_emulator${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    })
    return { status: r.status, body: (await r.json()) as Record<string, unknown> }
  }
  return { emu, post, corpToken, token, appToken, call, control }
}
