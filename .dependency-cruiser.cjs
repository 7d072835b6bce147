/**
 * The import rules of src/ (`npm run lint` runs them). Imports point down:
 *
 *   main → app → features · transports · delivery · ops · dingtalk · cards → core
 *   store, logger, version: leaves (the core may use the store's interface and the logger)
 *   config: the environment, over core/locale only
 *   emulator, chat: beside the bot (the emulator plays DingTalk; the chat talks to it)
 *   playground: the browser playground's page and its pass-through to the emulator (app registers it)
 *
 * Paths are resolved, so a relative specifier (`../delivery/delivery.js`) counts like any other.
 * Type-only imports count too: a layer that names a type of a layer above it depends on it.
 */

/** A rule: files under `from` may import, of the project's own files, only what matches `allowed`. */
function onlyImports(name, comment, from, allowed) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from },
    to: { path: '^src/', pathNot: allowed },
  }
}

const CORE_MAY_USE = [
  '^src/core/',
  '^src/logger\\.ts$',
  '^src/store/store\\.ts$',
  '^src/store/keyspaces\\.ts$',
]

module.exports = {
  forbidden: [
    onlyImports(
      'core-names-no-feature',
      'src/core imports only src/core, the logger and the store interface: features, transports, delivery and DingTalk plug in from outside.',
      '^src/core/',
      CORE_MAY_USE,
    ),
    onlyImports('store-is-a-leaf', 'src/store imports only itself and the logger.', '^src/store/', [
      '^src/store/',
      '^src/logger\\.ts$',
    ]),
    onlyImports(
      'config-is-a-leaf',
      'src/config.ts reads the environment; it needs only core/locale and how a Redis URL may be shown.',
      '^src/config\\.ts$',
      [
        '^src/core/locale\\.ts$',
        '^src/config-sections\\.ts$',
        '^src/env-reader\\.ts$',
        '^src/store/redis-url\\.ts$',
      ],
    ),
    onlyImports(
      'config-sections-are-a-leaf',
      'src/config-sections.ts reads parts of the configuration; it needs only the env reader.',
      '^src/config-sections\\.ts$',
      ['^src/env-reader\\.ts$'],
    ),
    onlyImports(
      'env-reader-is-a-leaf',
      'src/env-reader.ts validates environment values; it needs only how a Redis URL may be shown.',
      '^src/env-reader\\.ts$',
      ['^src/store/redis-url\\.ts$'],
    ),
    onlyImports('cards-are-pure', 'src/cards: pure renderers over the core types.', '^src/cards/', [
      '^src/cards/',
      '^src/core/',
    ]),
    onlyImports(
      'dingtalk-below-features',
      'src/dingtalk: the API clients; nothing above them.',
      '^src/dingtalk/',
      ['^src/dingtalk/', ...CORE_MAY_USE, '^src/store/'],
    ),
    onlyImports('delivery-below-app', 'src/delivery: getting replies to DingTalk.', '^src/delivery/', [
      '^src/delivery/',
      '^src/dingtalk/',
      ...CORE_MAY_USE,
    ]),
    onlyImports('ops-below-app', 'src/ops: server, metrics, readiness, counters.', '^src/ops/', [
      '^src/ops/',
      ...CORE_MAY_USE,
    ]),
    onlyImports(
      'transports-are-thin',
      'src/transports: verify, parse, ack, hand to the core port.',
      '^src/transports/',
      ['^src/transports/', '^src/dingtalk/', ...CORE_MAY_USE],
    ),
    onlyImports(
      'features-below-app',
      'src/features: their own folder, the core, cards, DingTalk clients, the store.',
      '^src/features/',
      ['^src/features/', '^src/cards/', '^src/dingtalk/', '^src/store/', ...CORE_MAY_USE],
    ),
    {
      name: 'features-are-independent',
      comment: 'A feature does not import another feature; features/index.ts lists them all.',
      severity: 'error',
      from: { path: '^src/features/([^/]+)/' },
      to: { path: '^src/features/', pathNot: '^src/features/$1/' },
    },
    onlyImports(
      'emulator-beside-the-bot',
      "src/emulator plays DingTalk; it shares only DingTalk types, the callback signature and the Stream socket's write batching with the bot.",
      '^src/emulator/',
      ['^src/emulator/', '^src/dingtalk/(errors|robot-message|signature|ws-cork)\\.ts$'],
    ),
    onlyImports(
      'playground-is-thin',
      'src/playground serves the browser playground and passes its calls to the emulator: nothing of the bot.',
      '^src/playground/',
      ['^src/playground/'],
    ),
    onlyImports('chat-beside-the-bot', 'src/chat talks to the emulator as DingTalk would.', '^src/chat/', [
      '^src/chat/',
      '^src/emulator/',
      '^src/dingtalk/',
    ]),
    {
      name: 'app-is-the-top',
      comment: 'Only main.ts imports the composition root; nothing imports main.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(app/|main\\.ts$)' },
      to: { path: '^src/(app/|main\\.ts$)' },
    },
    {
      name: 'no-circular',
      comment: 'Import circles make the order of evaluation (and of reading) unclear.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
}
