import t from 'tap'
import { editDistance, languageOf, normalizeText } from '../../src/core/text.js'

t.test('normalizeText', async (t) => {
  t.equal(
    normalizeText(' meeting 615 902 734'),
    'meeting 615 902 734',
    'trims the space DingTalk leaves after the @name',
  )
  t.equal(
    normalizeText('会议　６１５９０２７３４'),
    '会议 615902734',
    'NFKC: full-width digits and ideographic space',
  )
  t.equal(normalizeText('@会议助手 meeting 1 @李雷'), 'meeting 1', 'drops @name tokens anywhere')
  t.equal(normalizeText('@bot\u2005help'), 'help', 'DingTalk puts U+2005 after mentions')
  t.equal(normalizeText('me\u200beting  \n 42'), 'meeting 42', 'zero-width characters and runs of whitespace')
  t.equal(normalizeText('ｍｅｅｔｉｎｇ'), 'meeting', 'full-width letters')
  t.equal(normalizeText('   '), '')
  t.equal(normalizeText('mail a@b.c'), 'mail a@b.c', 'an @ inside a word is not a mention')
})

t.test('languageOf', async (t) => {
  t.equal(languageOf('会议'), 'zh-CN')
  t.equal(languageOf('meeting'), 'en')
  t.equal(languageOf('Help'), 'en')
  t.equal(languageOf('m'), undefined, 'one letter says nothing')
  t.equal(languageOf('?'), undefined)
  t.equal(languageOf('615'), undefined)
})

t.test('editDistance', async (t) => {
  t.equal(editDistance('meeting', 'meeting'), 0)
  t.equal(editDistance('meetng', 'meeting'), 1)
  t.equal(editDistance('meetign', 'meeting'), 2)
  t.equal(editDistance('', 'abc'), 3)
  t.equal(editDistance('help', 'hlep'), 2)
})
