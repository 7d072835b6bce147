import fc from 'fast-check'
import t from 'tap'
import { normalizeText } from '../../src/core/text.js'
import { parseMeetingRef } from '../../src/features/meeting/reference.js'
import { productionRegistry } from '../helpers/registry.js'
import { RUNS, SEED } from './runs.js'

const FULL_WIDTH = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)))
const SEPARATORS = [' ', '  ', '-', '－', '–', '—', '.', '\u3000', '\u2005', '']

/** A valid room code (6–12 digits) and one of the many ways people write it. */
const spelledCode = fc
  .tuple(
    fc.stringMatching(/^[0-9]{6,12}$/),
    fc.array(fc.constantFrom(...SEPARATORS), { minLength: 12, maxLength: 12 }),
    fc.integer({ min: 1, max: 4 }),
    fc.boolean(),
    fc.constantFrom('plain', 'quoted', 'brackets', 'question', 'link', 'cn-brackets'),
  )
  .map(([code, seps, group, wide, wrap]) => {
    let spelled = ''
    for (let i = 0; i < code.length; i++) {
      spelled += code[i]
      if (i < code.length - 1 && (i + 1) % group === 0) spelled += seps[i]
    }
    if (wide) spelled = FULL_WIDTH(spelled)
    const wrapped =
      wrap === 'quoted'
        ? `"${spelled}"`
        : wrap === 'brackets'
          ? `(${spelled})`
          : wrap === 'cn-brackets'
            ? `【${spelled}】`
            : wrap === 'question'
              ? `${spelled}？`
              : wrap === 'link'
                ? `https://meeting.dingtalk.com/app?roomCode=${code}&token=1_x`
                : spelled
    return { code, text: wrapped }
  })

const registry = await productionRegistry(t)

t.test('every spelling of a valid room code yields that code, alone or after a command word', async (t) => {
  fc.assert(
    fc.property(
      spelledCode,
      fc.constantFrom('meeting', 'm', '会议', '查会', '/meeting', 'MEETING'),
      fc.boolean(),
      ({ code, text }, word, glued) => {
        const alone = parseMeetingRef(normalizeText(text))
        if (alone?.kind !== 'roomCode' || alone.code !== code) return false
        // Chinese command words may be glued to the code: 会议615902734.
        const glue = /[\u4e00-\u9fff]$/.test(word) && glued ? '' : ' '
        const match = registry.match(normalizeText(`@会议助手 ${word}${glue}${text}`))
        if (match.kind !== 'command' || match.command.name !== 'meeting') return false
        const ref = parseMeetingRef(match.args)
        return ref?.kind === 'roomCode' && ref.code === code
      },
    ),
    { numRuns: RUNS, seed: SEED },
  )
  t.pass(`${RUNS} spellings`)
})

t.test('the parser and the router never throw, whatever the text', async (t) => {
  fc.assert(
    fc.property(
      fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.stringMatching(/^[\d\s\-@#/?a-f]{0,40}$/)),
      (raw) => {
        const text = normalizeText(raw)
        parseMeetingRef(text)
        registry.match(text)
        return true
      },
    ),
    { numRuns: RUNS * 5, seed: SEED },
  )
  t.pass()
})

t.test('junk is not a meeting', async (t) => {
  // No digit run of 6–12 and no 24-hex id: nothing to look up, so the command answers with usage help.
  const junk = fc
    .string({ maxLength: 40 })
    .filter((s) => !/[0-9０-９]/.test(s) && !/[0-9a-f]{24}/i.test(normalizeText(s)))
  fc.assert(
    fc.property(junk, (s) => parseMeetingRef(normalizeText(s)) === undefined),
    { numRuns: RUNS * 5, seed: SEED },
  )
  t.pass()
})
