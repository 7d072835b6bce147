/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/features/meeting/card.test.ts > TAP > en Asia/Shanghai > ended, in a group 1`] = `
Object {
  "at": Object {
    "atUserIds": Array [
      "manager4821",
    ],
    "isAtAll": false,
  },
  "markdown": Object {
    "text": String(
      #### Sprint 42 retrospective
      - **Status:** ⚪ Ended
      - **Creator:** 张伟
      - **Start:** Wed, 26 Nov 2025 09:00 (GMT+8)
      - **End:** 09:45 (GMT+8)
      - **Duration:** 45 min 30 s
      - **Participants:** 12 joined in total · 14 invited
      - **Room code:** 615 902 734
      - **Cloud recording:** finished
      
      @manager4821
    ),
    "title": "Sprint 42 retrospective · Ended",
  },
  "msgtype": "markdown",
}
`

exports[`test/features/meeting/card.test.ts > TAP > en Asia/Shanghai > in progress, shared code 1`] = `
Object {
  "actionCard": Object {
    "singleTitle": "Join meeting",
    "singleURL": "https://meeting.dingtalk.com/app?roomCode=615902734&token=1_4c7f",
    "text": String(
      #### Sprint 43 retrospective
      - **Status:** 🟢 In progress
      - **Creator:** 张伟
      - **Start:** Wed, 3 Dec 2025 09:00 (GMT+8)
      - **Duration:** running for 25 min
      - **Participants:** 5 in the meeting now · 6 joined in total · 14 invited
      - **Room code:** 615 902 734
      - **Cloud recording:** recording
      
      > 2 meetings use this room code; this is the one in progress.
    ),
    "title": "Sprint 43 retrospective · In progress",
  },
  "msgtype": "actionCard",
}
`

exports[`test/features/meeting/card.test.ts > TAP > en Asia/Shanghai > not started 1`] = `
Object {
  "actionCard": Object {
    "singleTitle": "Join meeting",
    "singleURL": "https://meeting.dingtalk.com/app?roomCode=615902734&token=1_4c7f",
    "text": String(
      #### Design review
      - **Status:** 🕒 Not started
      - **Creator:** 张伟
      - **Start:** Wed, 3 Dec 2025 09:00 (GMT+8)
      - **Duration:** starts in 2 h 5 min
      - **Participants:** 14 invited
      - **Room code:** 615 902 734
    ),
    "title": "Design review · Not started",
  },
  "msgtype": "actionCard",
}
`

exports[`test/features/meeting/card.test.ts > TAP > en Europe/London > ended, in a group 1`] = `
Object {
  "at": Object {
    "atUserIds": Array [
      "manager4821",
    ],
    "isAtAll": false,
  },
  "markdown": Object {
    "text": String(
      #### Sprint 42 retrospective
      - **Status:** ⚪ Ended
      - **Creator:** 张伟
      - **Start:** Wed, 26 Nov 2025 01:00 (GMT+0)
      - **End:** 01:45 (GMT+0)
      - **Duration:** 45 min 30 s
      - **Participants:** 12 joined in total · 14 invited
      - **Room code:** 615 902 734
      - **Cloud recording:** finished
      
      @manager4821
    ),
    "title": "Sprint 42 retrospective · Ended",
  },
  "msgtype": "markdown",
}
`

exports[`test/features/meeting/card.test.ts > TAP > en Europe/London > in progress, shared code 1`] = `
Object {
  "actionCard": Object {
    "singleTitle": "Join meeting",
    "singleURL": "https://meeting.dingtalk.com/app?roomCode=615902734&token=1_4c7f",
    "text": String(
      #### Sprint 43 retrospective
      - **Status:** 🟢 In progress
      - **Creator:** 张伟
      - **Start:** Wed, 3 Dec 2025 01:00 (GMT+0)
      - **Duration:** running for 25 min
      - **Participants:** 5 in the meeting now · 6 joined in total · 14 invited
      - **Room code:** 615 902 734
      - **Cloud recording:** recording
      
      > 2 meetings use this room code; this is the one in progress.
    ),
    "title": "Sprint 43 retrospective · In progress",
  },
  "msgtype": "actionCard",
}
`

exports[`test/features/meeting/card.test.ts > TAP > en Europe/London > not started 1`] = `
Object {
  "actionCard": Object {
    "singleTitle": "Join meeting",
    "singleURL": "https://meeting.dingtalk.com/app?roomCode=615902734&token=1_4c7f",
    "text": String(
      #### Design review
      - **Status:** 🕒 Not started
      - **Creator:** 张伟
      - **Start:** Wed, 3 Dec 2025 01:00 (GMT+0)
      - **Duration:** starts in 2 h 5 min
      - **Participants:** 14 invited
      - **Room code:** 615 902 734
    ),
    "title": "Design review · Not started",
  },
  "msgtype": "actionCard",
}
`

exports[`test/features/meeting/card.test.ts > TAP > zh-CN Asia/Shanghai > ended, in a group 1`] = `
Object {
  "at": Object {
    "atUserIds": Array [
      "manager4821",
    ],
    "isAtAll": false,
  },
  "markdown": Object {
    "text": String(
      #### Sprint 42 retrospective
      - **状态:** ⚪ 已结束
      - **发起人:** 张伟
      - **开始时间:** 2025年11月26日 周三 09:00 (GMT+8)
      - **结束时间:** 09:45 (GMT+8)
      - **时长:** 45分钟30秒
      - **参会人数:** 累计入会 12 人 · 邀请 14 人
      - **会议号:** 615 902 734
      - **云录制:** 已完成
      
      @manager4821
    ),
    "title": "Sprint 42 retrospective · 已结束",
  },
  "msgtype": "markdown",
}
`

exports[`test/features/meeting/card.test.ts > TAP > zh-CN Asia/Shanghai > in progress, shared code 1`] = `
Object {
  "actionCard": Object {
    "singleTitle": "加入会议",
    "singleURL": "https://meeting.dingtalk.com/app?roomCode=615902734&token=1_4c7f",
    "text": String(
      #### Sprint 43 retrospective
      - **状态:** 🟢 进行中
      - **发起人:** 张伟
      - **开始时间:** 2025年12月3日 周三 09:00 (GMT+8)
      - **时长:** 已进行 25分钟
      - **参会人数:** 当前在会 5 人 · 累计入会 6 人 · 邀请 14 人
      - **会议号:** 615 902 734
      - **云录制:** 录制中
      
      > 该会议号对应 2 场会议，这里显示的是正在进行的一场。
    ),
    "title": "Sprint 43 retrospective · 进行中",
  },
  "msgtype": "actionCard",
}
`

exports[`test/features/meeting/card.test.ts > TAP > zh-CN Asia/Shanghai > not started 1`] = `
Object {
  "actionCard": Object {
    "singleTitle": "加入会议",
    "singleURL": "https://meeting.dingtalk.com/app?roomCode=615902734&token=1_4c7f",
    "text": String(
      #### Design review
      - **状态:** 🕒 未开始
      - **发起人:** 张伟
      - **开始时间:** 2025年12月3日 周三 09:00 (GMT+8)
      - **时长:** 2小时5分钟后开始
      - **参会人数:** 邀请 14 人
      - **会议号:** 615 902 734
    ),
    "title": "Design review · 未开始",
  },
  "msgtype": "actionCard",
}
`

exports[`test/features/meeting/card.test.ts > TAP > zh-CN Europe/London > ended, in a group 1`] = `
Object {
  "at": Object {
    "atUserIds": Array [
      "manager4821",
    ],
    "isAtAll": false,
  },
  "markdown": Object {
    "text": String(
      #### Sprint 42 retrospective
      - **状态:** ⚪ 已结束
      - **发起人:** 张伟
      - **开始时间:** 2025年11月26日 周三 01:00 (GMT+0)
      - **结束时间:** 01:45 (GMT+0)
      - **时长:** 45分钟30秒
      - **参会人数:** 累计入会 12 人 · 邀请 14 人
      - **会议号:** 615 902 734
      - **云录制:** 已完成
      
      @manager4821
    ),
    "title": "Sprint 42 retrospective · 已结束",
  },
  "msgtype": "markdown",
}
`

exports[`test/features/meeting/card.test.ts > TAP > zh-CN Europe/London > in progress, shared code 1`] = `
Object {
  "actionCard": Object {
    "singleTitle": "加入会议",
    "singleURL": "https://meeting.dingtalk.com/app?roomCode=615902734&token=1_4c7f",
    "text": String(
      #### Sprint 43 retrospective
      - **状态:** 🟢 进行中
      - **发起人:** 张伟
      - **开始时间:** 2025年12月3日 周三 01:00 (GMT+0)
      - **时长:** 已进行 25分钟
      - **参会人数:** 当前在会 5 人 · 累计入会 6 人 · 邀请 14 人
      - **会议号:** 615 902 734
      - **云录制:** 录制中
      
      > 该会议号对应 2 场会议，这里显示的是正在进行的一场。
    ),
    "title": "Sprint 43 retrospective · 进行中",
  },
  "msgtype": "actionCard",
}
`

exports[`test/features/meeting/card.test.ts > TAP > zh-CN Europe/London > not started 1`] = `
Object {
  "actionCard": Object {
    "singleTitle": "加入会议",
    "singleURL": "https://meeting.dingtalk.com/app?roomCode=615902734&token=1_4c7f",
    "text": String(
      #### Design review
      - **状态:** 🕒 未开始
      - **发起人:** 张伟
      - **开始时间:** 2025年12月3日 周三 01:00 (GMT+0)
      - **时长:** 2小时5分钟后开始
      - **参会人数:** 邀请 14 人
      - **会议号:** 615 902 734
    ),
    "title": "Design review · 未开始",
  },
  "msgtype": "actionCard",
}
`
