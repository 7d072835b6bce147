import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium, type Locator, type Page } from 'playwright-core'
import t from 'tap'
import { ROOT } from '../helpers/process.js'
import { startPlayground, XSS_ROOM, XSS_TITLE } from './stack.js'

/*
 * The browser playground in a real Chromium (Debian's, driven by playwright-core): what a person
 * sees and does. One browser for the file; a screenshot of each step in artifacts/playground/
 * (gitignored), to look at when a step fails.
 */

const CHROMIUM = '/usr/bin/chromium'
const SHOTS = join(ROOT, 'artifacts', 'playground')
/** Chromium's flags for this machine (no network but loopback: nothing in the background). */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) })
}

/** The composer: typed into and sent with Enter, as a keyboard user does. */
async function say(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message', exact: true })
  await box.fill(text)
  await box.press('Enter')
}

function cards(page: Page): Locator {
  return page.locator('article.live-card')
}

async function main(): Promise<void> {
  mkdirSync(SHOTS, { recursive: true })
  const bot = await startPlayground(t)
  // Playwright starts Chromium with a fresh temporary profile (its own --user-data-dir) per launch.
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS })
  t.teardown(() => browser.close())
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1360, height: 860 } })
  const page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  page.setDefaultTimeout(10_000)
  await page.goto(`${bot.url}/playground/`)
  await page.getByText('Live', { exact: true }).first().waitFor()

  await t.test('ask "meeting 615902734": the card with its title and Join button', async (t) => {
    await say(page, 'meeting 615902734')
    const card = cards(page).first()
    await card.waitFor()
    t.equal(await card.locator('.live-card-title').textContent(), 'Sprint 43 retrospective')
    const join = card.getByRole('link', { name: 'Join' })
    t.match(await join.getAttribute('href'), /^https:\/\/meeting\.dingtalk\.com\/app\?roomCode=615902734/)
    t.match(await card.textContent(), '5 in the meeting now · 6 joined in total')
    t.match(await page.locator('.msg-mine .bubble').last().textContent(), '@Meeting Bot meeting 615902734')
    await shot(page, '01-meeting-card')
  })

  await t.test('the timeline moves: Bob joins and the live card changes in place', async (t) => {
    const card = cards(page).first()
    const id = await card.getAttribute('data-out-track-id')
    const version = Number(await card.getAttribute('data-version'))
    const timeline = page.getByRole('region', { name: 'Meeting timeline' })
    await timeline.getByRole('textbox', { name: 'Name' }).fill('Bob')
    await timeline.getByRole('button', { name: 'Join', exact: true }).click()
    await card.getByText('6 in the meeting now').waitFor()
    t.equal(await cards(page).count(), 1, 'the same card, updated where it is')
    t.equal(await card.getAttribute('data-out-track-id'), id)
    t.ok(Number(await card.getAttribute('data-version')) > version, 'a newer version of it')
    await timeline.getByRole('button', { name: '+30 min' }).click()
    await page.getByText(/Emulator time \d\d:\d\d \(30 min ahead\)/).waitFor()
    await shot(page, '02-card-live-update')
  })

  await t.test('Refresh, pressed from the keyboard, is answered on the card', async (t) => {
    const card = cards(page).first()
    const version = Number(await card.getAttribute('data-version'))
    const refresh = card.getByRole('button', { name: 'Refresh' })
    await refresh.focus()
    await page.keyboard.press('Enter')
    // Answered (a newer version of the card), or refused (an error under it): whichever comes.
    const card0 = "document.querySelector('article.live-card')"
    await page.waitForFunction(
      `Number(${card0}?.getAttribute('data-version')) > ${version} || !!${card0}?.querySelector('.inline-error')`,
      undefined,
      { timeout: 15_000 },
    )
    t.equal(await card.locator('.inline-error').count(), 0, 'the press did not fail')
    t.match(await card.locator('.note').textContent(), /updated \d\d:\d\d/)
    await shot(page, '03-refresh')
  })

  await t.test('as the org admin, /status', async (t) => {
    await page.getByRole('combobox', { name: 'Send as' }).selectOption('admin')
    await say(page, '/status')
    const status = page.locator('.msg-bot .bubble').filter({ hasText: 'Meeting bot status' })
    await status.waitFor()
    t.match(await status.textContent(), /Version:\s*0\.1\.0/)
    t.match(await page.locator('.msg-mine .msg-who').last().textContent(), 'Han Meimei · Org admin')
    await page.getByRole('tab', { name: 'Log' }).click()
    const row = page.locator('.log-line').filter({ hasText: 'status' }).first()
    await row.waitFor()
    t.match(await row.textContent(), /^statusanswered.*path inline.*transport http/i)
    await shot(page, '04-admin-status')
    await page.getByRole('tab', { name: 'Emulator' }).click()
  })

  await t.test('a fault switched on: the honest error reply with its reference id', async (t) => {
    await page.getByRole('combobox', { name: 'Send as' }).selectOption('member')
    const faults = page.getByRole('region', { name: 'Faults' })
    await faults.getByRole('combobox', { name: 'API' }).selectOption('conference.byRoomCode')
    await faults.getByRole('textbox', { name: 'Times' }).fill('5')
    await faults.getByRole('button', { name: 'Switch on' }).click()
    await faults.getByText('conference.byRoomCode').last().waitFor()
    await say(page, 'meeting 583480813')
    const reply = page.locator('.msg-bot .bubble').filter({ hasText: 'DingTalk is not answering' })
    await reply.waitFor()
    const text = (await reply.textContent()) ?? ''
    const ref = /\(ref ([2-9A-Z]{6})\)/.exec(text)?.[1]
    t.ok(ref, `a reference id in "${text}"`)
    t.match(text, '@Li Lei', 'the asker is mentioned by name')
    await shot(page, '05-fault-error-reply')
    await page.getByRole('tab', { name: 'Log' }).click()
    const row = page
      .locator('.log-line')
      .filter({ hasText: ref ?? 'no ref' })
      .first()
    await row.waitFor()
    t.match(
      await row.textContent(),
      /^meetinganswered.*path (inline|webhook).*ref [2-9A-Z]{6}.*upstream calls conference\.byRoomCode ×3/i,
    )
    await shot(page, '05b-fault-log-line')
    await page.getByRole('tab', { name: 'Emulator' }).click()
    await faults.getByRole('button', { name: 'Clear all faults' }).click()
    await faults.getByText('No fault waiting.').waitFor()
  })

  await t.test('a title holding <script> shows as text', async (t) => {
    await say(page, `meeting ${XSS_ROOM}`)
    const card = cards(page).filter({ hasText: 'Launch review' })
    await card.waitFor()
    t.equal(await card.locator('.live-card-title').textContent(), XSS_TITLE)
    t.match(await card.textContent(), '<b>Mallory</b>', 'the creator too')
    t.equal(await page.evaluate('window.__pwned'), undefined, 'nothing ran')
    t.equal(await page.locator('.messages script, .messages img, .messages b').count(), 0, 'no element made')
    await shot(page, '06-script-title')
  })

  await t.test('zh-CN: the page follows the browser language', async (t) => {
    const zh = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1360, height: 860 } })
    const p = await zh.newPage()
    await p.goto(`${bot.url}/playground/`)
    await p.getByRole('textbox', { name: '消息', exact: true }).waitFor()
    t.equal(await p.locator('html').getAttribute('lang'), 'zh-CN')
    t.ok(await p.getByRole('tab', { name: '模拟器' }).isVisible())
    t.ok(await p.getByRole('region', { name: '会议进程' }).isVisible())
    await shot(p, '07-zh-cn')
    await zh.close()
  })

  t.same(pageErrors, [], 'no error in the page')
}

if (!existsSync(CHROMIUM)) {
  if (process.env.CI) t.fail(`${CHROMIUM} is missing: .ci/run installs Debian's chromium when it is absent`)
  else t.plan(0, `${CHROMIUM} is not installed (apt-get install -y --no-install-recommends chromium)`)
} else {
  await main()
}
