/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/features/admin/admin.test.ts > TAP > /status, with a fixed clock > status 1`] = `
#### Meeting bot status
- **Version:** 0.1.0 · up 1 h 5 min
- **http:** accepting callbacks · last message 1 h 5 min ago
- **Access token:** valid for 55 min
- **Meeting cache:** 71% hits (10 of 14 lookups)
- **Messages:** 27 handled, 0 failed, 0 duplicates ignored, 0 rate-limited
- **Events:** not subscribed (that takes the Stream transport and a feature that handles events)
- **Inbox:** 0 answered after a restart or for a stopped replica, 0 too old to answer
- **Store:** memory
- **Watches:** 0 in 0 chats · 0 of 1000 API calls this month
- **DingTalk calls since start:**
  - token: 1 (1 ok)
  - conference.byRoomCode: 2 (2 ok)
  - conference.info: 2 (2 ok)
- **DingTalk calls in 2026-11:**
  - token: 1 (1 ok)
  - conference.byRoomCode: 2 (2 ok)
  - conference.info: 2 (2 ok)

> Token calls do not count against the monthly quota.

@admin0001
`
