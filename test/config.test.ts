import t from 'tap'
import { ConfigError, describeConfig, loadConfig, redactUrl } from '../src/config.js'

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

t.test('proxy: HTTPS_PROXY, HTTP_PROXY, NO_PROXY in either case, the lower-case one winning', async (t) => {
  t.equal(loadConfig(creds).proxy, undefined, 'none set: direct')
  t.equal(loadConfig({ ...creds, NO_PROXY: 'x.example' }).proxy, undefined, 'NO_PROXY alone changes nothing')
  const c = loadConfig({
    ...creds,
    HTTPS_PROXY: 'http://proxy.corp:3128/',
    http_proxy: 'proxy.corp:8080',
    NO_PROXY: 'localhost, .intra.example,10.0.0.0/8',
  })
  t.same(c.proxy, {
    httpsProxy: 'http://proxy.corp:3128',
    httpProxy: 'http://proxy.corp:8080',
    noProxy: ['localhost', '.intra.example', '10.0.0.0/8'],
  })
  const both = loadConfig({
    ...creds,
    HTTPS_PROXY: 'http://upper:1',
    https_proxy: 'https://lower:2',
    NO_PROXY: 'upper.example',
    no_proxy: 'lower.example',
  })
  t.equal(both.proxy?.httpsProxy, 'https://lower:2')
  t.same(both.proxy?.noProxy, ['lower.example'])
  t.equal(both.proxy?.httpProxy, undefined, 'no HTTP_PROXY: plain http goes direct')
  t.equal(
    loadConfig({ HTTPS_PROXY: 'http://proxy.corp:3128' }).proxy,
    undefined,
    'emulator mode: the emulator is local, never through the proxy',
  )
})

t.test('proxy: bad values are reported with the other problems, never with their password', async (t) => {
  const err = t.throws(() =>
    loadConfig({
      ...creds,
      PORT: 'x',
      HTTPS_PROXY: 'socks5://user:hunter2@proxy.corp:1080',
      http_proxy: 'http://user:hunter2@proxy.corp:3128/some/path',
    }),
  ) as ConfigError
  t.equal(err.problems.length, 3)
  t.match(err.message, 'HTTPS_PROXY must be an http:// or https:// proxy URL')
  t.match(err.message, 'got "socks5://***@proxy.corp:1080"')
  t.match(err.message, /http_proxy must be .* got "http:\/\/\*\*\*@proxy.corp:3128\/some\/path"/)
  t.notMatch(err.message, 'hunter2')
  const junk = t.throws(() => loadConfig({ ...creds, HTTPS_PROXY: 'user:hunter2@' })) as ConfigError
  t.notMatch(junk.message, 'hunter2')
})

t.test('/config shows the proxy without its credentials', async (t) => {
  const shown = describeConfig(
    loadConfig({
      ...creds,
      HTTPS_PROXY: 'http://bot%40corp:s3cr%3At@proxy.corp:3128',
      NO_PROXY: 'a.example,b',
    }),
  )
  t.equal(shown.HTTPS_PROXY, 'http://***@proxy.corp:3128')
  t.equal(shown.HTTP_PROXY, '(not set: direct)')
  t.equal(shown.NO_PROXY, 'a.example,b')
  t.notMatch(JSON.stringify(shown), /s3cr|bot%40corp/)
  t.equal(describeConfig(loadConfig(creds)).HTTPS_PROXY, '(not set: direct)')
  t.equal(describeConfig(loadConfig({})).HTTPS_PROXY, '(not used in emulator mode)')
  t.equal(redactUrl('https://proxy.corp:3128'), 'https://proxy.corp:3128')
  t.equal(redactUrl('http://onlyuser@proxy.corp'), 'http://***@proxy.corp')
})
