import t from 'tap'
import { normalizeText } from '../../../src/core/text.js'
import { formatRoomCode, parseMeetingRef } from '../../../src/features/meeting/reference.js'

t.test('room code spellings', async (t) => {
  const code = { kind: 'roomCode', code: '615902734' }
  for (const input of [
    '615902734',
    '615 902 734',
    '615-902-734',
    '615–902–734',
    '615.902.734',
    '"615 902 734"',
    '615 902 734?',
    '（615902734）',
    '#615902734',
    'https://meeting.dingtalk.com/app?roomCode=615902734&token=1_4c7f',
    '<https://meeting.dingtalk.com/app?roomCode=615902734>',
    'dingtalk://dingtalkclient/page/videoConfFromInvite?roomCode=615 902 734',
    normalizeText('６１５　９０２　７３４'),
    normalizeText('６１５－９０２－７３４'),
  ]) {
    t.same(parseMeetingRef(input), code, input)
  }
})

t.test('conference ids', async (t) => {
  t.same(parseMeetingRef('607452e01401526ee39609e1'), {
    kind: 'conferenceId',
    id: '607452e01401526ee39609e1',
  })
  t.same(parseMeetingRef('607452E01401526EE39609E1'), {
    kind: 'conferenceId',
    id: '607452e01401526ee39609e1',
  })
  t.same(
    parseMeetingRef('123456789012345678901234'),
    { kind: 'conferenceId', id: '123456789012345678901234' },
    '24 digits are too long for a room code',
  )
})

t.test('junk is not a meeting', async (t) => {
  for (const input of [
    '',
    'tomorrow',
    '12345',
    '1234567890123',
    'abc 615902734',
    '615902734 please',
    'roomCode=abc',
    'https://meeting.dingtalk.com/j/xyz',
    '607452e01401526ee39609e',
  ]) {
    t.equal(parseMeetingRef(input), undefined, JSON.stringify(input))
  }
})

t.test('formatRoomCode prints groups of three', async (t) => {
  t.equal(formatRoomCode('615902734'), '615 902 734')
  t.equal(formatRoomCode('1234567'), '1 234 567')
})
