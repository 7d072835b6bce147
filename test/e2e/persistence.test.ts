import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DATA_FILE } from '../../src/store/sqlite.js'
import { chat, cleanEnv, run, startBot, tempDir } from '../helpers/process.js'

t.test('per-chat settings survive a restart of the real entry point', async (t) => {
  const dataDir = tempDir(t)
  const first = await startBot(t, { DATA_DIR: dataDir, DINGTALK_TRANSPORTS: 'http' })
  const set = await chat(first.emulatorUrl, ['--as', 'admin', '/lang en'])
  t.match(set.stdout, 'Replies in this chat are now in English.')
  const tz = await chat(first.emulatorUrl, ['--as', 'admin', '/tz America/New_York'])
  t.match(tz.stdout, 'Times in this chat are now in America/New_York')
  t.equal(await first.stop(), 0)

  const second = await startBot(t, { DATA_DIR: dataDir, DINGTALK_TRANSPORTS: 'http' })
  const card = await chat(second.emulatorUrl, ['m 615902734'])
  t.match(card.stdout, 'Status: 🟢 In progress', 'still English after the restart')
  t.match(card.stdout, /\(GMT-[45]\)/, 'still New York time')
  const single = await chat(second.emulatorUrl, ['--in', 'single', 'm 615902734'])
  t.match(single.stdout, '进行中', 'another conversation keeps the default')
  await second.stop()
})

t.test('a corrupt data file is a clear start-up error, and the file is left alone', async (t) => {
  const dataDir = tempDir(t)
  const garbage = 'not a database; maybe someone put a backup here\n'.repeat(100)
  writeFileSync(join(dataDir, DATA_FILE), garbage)
  const r = await run(
    ['--import', 'tsx', 'src/main.ts'],
    cleanEnv({ DATA_DIR: dataDir, PORT: '0', EMULATOR_PORT: '0' }),
  )
  t.equal(r.code, 1)
  t.match(
    r.stderr,
    `meeting-bot: data file ${join(dataDir, DATA_FILE)}: is corrupt or not a meeting-bot database`,
  )
  t.equal(readFileSync(join(dataDir, DATA_FILE), 'utf8'), garbage, 'not overwritten')
})
