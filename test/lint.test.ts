import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../', import.meta.url))
const DEPCRUISE = `${ROOT}node_modules/.bin/depcruise`

/** The project's import rules (`.dependency-cruiser.cjs`, run by `npm run lint`) against a small tree. */
async function cruise(cwd: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(
      DEPCRUISE,
      ['src', '--config', `${ROOT}.dependency-cruiser.cjs`, '--output-type', 'err'],
      {
        cwd,
      },
    )
    return { code: 0, out: stdout }
  } catch (err) {
    const e = err as { code: number; stdout: string }
    return { code: e.code, out: e.stdout }
  }
}

t.test(
  'a relative import from the core up into delivery, and one feature into another, fail lint',
  async (t) => {
    const r = await cruise(`${ROOT}test/fixtures/layers`)
    t.not(r.code, 0)
    t.match(r.out, 'core-names-no-feature: src/core/up.ts → src/delivery/delivery.ts')
    t.match(r.out, 'features-are-independent: src/features/b/index.ts → src/features/a/index.ts')
    t.notMatch(r.out, 'src/core/message.ts', 'imports inside the core are fine')
  },
)
