/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/features/meeting/members-card.test.ts > TAP > en > ended, in a group 1`] = `
Object {
  "at": Object {
    "atUserIds": Array [
      "manager4821",
    ],
    "isAtAll": false,
  },
  "markdown": Object {
    "text": String(
      #### Sprint 42 retrospective · Participants
      - **Status:** ⚪ Ended · 45 min 30 s
      
      **Attended (4)**
      - 张伟 (host) · 45 min
      - Bob Miller (external) · 43 min
      - 139\\\\*\\\\*\\\\*\\\\*2468 (by phone) · 30 min
      - Lucy Wang · 25 min
      
      Invited, not joined: 2
      
      @manager4821
    ),
    "title": "Sprint 42 retrospective · Participants",
  },
  "msgtype": "markdown",
}
`

exports[`test/features/meeting/members-card.test.ts > TAP > en > in progress 1`] = `
Object {
  "markdown": Object {
    "text": String(
      #### Sprint 43 retrospective · Participants
      - **Status:** 🟢 In progress · running for 25 min
      
      **In the meeting now (5)**
      - 张伟 (host) · 25 min
      - 王芳 (co-host) · 24 min
      - Alice Chen (external) · 22 min
      - 138\\\\*\\\\*\\\\*\\\\*5678 (by phone) · 17 min
      - Li Lei · 11 min
      
      **Joined and left (2)**
      - Zed (removed) · 16 min
      - Han Meimei · 10 min
      
      Invited, not joined: 8
      
      > 2 meetings use this room code; this is the one in progress.
    ),
    "title": "Sprint 43 retrospective · Participants",
  },
  "msgtype": "markdown",
}
`

exports[`test/features/meeting/members-card.test.ts > TAP > zh-CN > ended, in a group 1`] = `
Object {
  "at": Object {
    "atUserIds": Array [
      "manager4821",
    ],
    "isAtAll": false,
  },
  "markdown": Object {
    "text": String(
      #### Sprint 42 retrospective · 参会人
      - **状态:** ⚪ 已结束 · 45分钟30秒
      
      **参会人员（4 人）**
      - 张伟（主持人） · 45分钟
      - Bob Miller（外部） · 43分钟
      - 139\\\\*\\\\*\\\\*\\\\*2468（电话入会） · 30分钟
      - Lucy Wang · 25分钟
      
      已邀请未入会：2 人
      
      @manager4821
    ),
    "title": "Sprint 42 retrospective · 参会人",
  },
  "msgtype": "markdown",
}
`

exports[`test/features/meeting/members-card.test.ts > TAP > zh-CN > in progress 1`] = `
Object {
  "markdown": Object {
    "text": String(
      #### Sprint 43 retrospective · 参会人
      - **状态:** 🟢 进行中 · 已进行 25分钟
      
      **当前在会（5 人）**
      - 张伟（主持人） · 25分钟
      - 王芳（联席主持人） · 24分钟
      - Alice Chen（外部） · 22分钟
      - 138\\\\*\\\\*\\\\*\\\\*5678（电话入会） · 17分钟
      - Li Lei · 11分钟
      
      **已离开（2 人）**
      - Zed（被移出） · 16分钟
      - Han Meimei · 10分钟
      
      已邀请未入会：8 人
      
      > 该会议号对应 2 场会议，这里显示的是正在进行的一场。
    ),
    "title": "Sprint 43 retrospective · 参会人",
  },
  "msgtype": "markdown",
}
`
