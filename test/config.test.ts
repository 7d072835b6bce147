import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

const creds = { DINGTALK_CLIENT_ID: 'dingabc', DINGTALK_CLIENT_SECRET: 's3cret' }

t.test('defaults match the documented table', async (t) => {
  const c = loadConfig(creds)
  t.equal(c.mode, 'real')
  t.equal(c.dingtalk.robotCode, 'dingabc', 'robot code defaults to the client id')
  t.equal(c.dingtalk.apiBase, 'https://api.dingtalk.com')
  t.equal(c.dingtalk.oapiBase, 'https://oapi.dingtalk.com')
  t.same(c.transports, ['stream', 'http'])
  t.equal(c.host, '0.0.0.0')
  t.equal(c.port, 3000)
  t.equal(c.logLevel, 'info')
  t.equal(c.locale, 'zh-CN')
  t.equal(c.timeZone, 'Asia/Shanghai')
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.dingtalk), 'frozen')
})

t.test('values are read and normalised', async (t) => {
  const c = loadConfig({
    ...creds,
    DINGTALK_ROBOT_CODE: 'robot9',
    DINGTALK_API_BASE: 'https://api.dingtalk.io/',
    DINGTALK_TRANSPORTS: ' HTTP ',
    PORT: '8080',
    BOT_LOCALE: 'en',
    BOT_TIMEZONE: 'Europe/Berlin',
    LOG_LEVEL: 'debug',
  })
  t.equal(c.dingtalk.robotCode, 'robot9')
  t.equal(c.dingtalk.apiBase, 'https://api.dingtalk.io', 'trailing slash dropped')
  t.same(c.transports, ['http'])
  t.equal(c.port, 8080)
  t.equal(c.locale, 'en')
  t.equal(c.timeZone, 'Europe/Berlin')
})

t.test('every problem is reported at once', async (t) => {
  const err = t.throws(() =>
    loadConfig({
      ...creds,
      DINGTALK_API_BASE: 'ftp://x',
      DINGTALK_TRANSPORTS: 'stream,carrier-pigeon',
      PORT: '70000',
      LOG_LEVEL: 'loud',
      BOT_LOCALE: 'fr',
      BOT_TIMEZONE: 'Mars/Olympus',
    }),
  ) as ConfigError
  t.type(err, ConfigError)
  t.equal(err.problems.length, 6)
  for (const name of [
    'DINGTALK_API_BASE',
    'DINGTALK_TRANSPORTS',
    'PORT',
    'LOG_LEVEL',
    'BOT_LOCALE',
    'BOT_TIMEZONE',
  ]) {
    t.match(err.message, name)
  }
})

t.test('credentials: neither means emulator mode, one alone or production is an error', async (t) => {
  t.equal(loadConfig({}).mode, 'emulator')
  t.throws(() => loadConfig({ DINGTALK_CLIENT_ID: 'x' }), /DINGTALK_CLIENT_SECRET is required/)
  const err = t.throws(() => loadConfig({ NODE_ENV: 'production' })) as ConfigError
  t.match(err.message, /DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET are required/)
  t.match(err.message, /production/)
  t.equal(loadConfig({ ...creds, NODE_ENV: 'production' }).mode, 'real')
})

t.test('the error message never contains the secret', async (t) => {
  const err = t.throws(() =>
    loadConfig({ ...creds, DINGTALK_CLIENT_SECRET: 'topsecret', PORT: 'x' }),
  ) as Error
  t.notMatch(err.message, 'topsecret')
})
