import type { Failure } from '../../core/errors.js'

/** How a third-party app's own conditions read in the chat. */
export const ISV_FAILURES = {
  noSuiteTicket: {
    key: 'noSuiteTicket',
    level: 'warn',
    text: {
      en: 'I cannot reach DingTalk for this organization yet: DingTalk has not sent the app its suite ticket (it comes within a few hours of the app starting). Please try again later.',
      'zh-CN':
        '暂时无法为本组织连接钉钉：钉钉尚未向应用推送 suite ticket（应用启动后数小时内推送）。请稍后再试。',
    },
  },
  staleSuiteTicket: {
    key: 'staleSuiteTicket',
    level: 'warn',
    text: {
      en: 'DingTalk refused the app’s suite ticket; it pushes a new one within hours. Please try again later.',
      'zh-CN': '钉钉拒绝了应用当前的 suite ticket，数小时内会推送新的。请稍后再试。',
    },
  },
  orgNotAuthorized: {
    key: 'orgNotAuthorized',
    level: 'info',
    text: {
      en: 'This organization has not authorized this app, so I cannot look up its meetings. An admin can install it from the DingTalk app store.',
      'zh-CN': '本组织尚未授权此应用，无法查询本组织的会议。管理员可在钉钉应用市场安装授权。',
    },
  },
  orgRelieved: {
    key: 'orgRelieved',
    level: 'info',
    text: {
      en: 'This organization has removed this app, so I no longer look up its meetings. An admin can install it again from the DingTalk app store.',
      'zh-CN': '本组织已停用此应用，不再查询本组织的会议。管理员可在钉钉应用市场重新安装授权。',
    },
  },
  noOrg: {
    key: 'noOrg',
    level: 'info',
    text: {
      en: 'This message does not say which organization it comes from, so I cannot answer it.',
      'zh-CN': '这条消息没有注明所属组织，无法回答。',
    },
  },
} satisfies Record<string, Failure>
