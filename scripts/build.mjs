// `npm run build`: src/**/*.ts → dist/ (JavaScript and source maps), file by file, with esbuild.
//
// esbuild is a production dependency so that a production install (`npm ci --omit=dev`) can build
// and start (`npm start`). It is also the compiler tsx uses, so the build is the code the
// end-to-end tests run. It does not type-check: `npm run typecheck` (tsc) does, in CI as well.
// Plain JavaScript, so it runs without a dev dependency.
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { buildPlayground } from './build-playground.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const src = join(root, 'src')
const entryPoints = readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => join(src, f))

rmSync(join(root, 'dist'), { recursive: true, force: true })
await build({
  entryPoints,
  outdir: join(root, 'dist'),
  outbase: src,
  // One output file per source file, imports as written (they already name `.js` files).
  bundle: false,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  tsconfig: join(root, 'tsconfig.build.json'),
  logLevel: 'warning',
})
// The browser playground, served by the bot in emulator mode (src/playground/serve.ts).
await buildPlayground(join(root, 'dist', 'public', 'playground'))
