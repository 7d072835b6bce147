// The browser playground (web/playground, docs/playground.md): one bundle of the page's TypeScript
// and Preact, its stylesheet and index.html, into `outdir` (npm run build: dist/public/playground).
// esbuild and preact are production dependencies, so `npm ci --omit=dev` builds it too. Plain
// JavaScript, like build.mjs; the browser tests call it to build a fresh copy of their own.
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const web = fileURLToPath(new URL('../web/playground/', import.meta.url))

/** Builds the page into `outdir`: index.html, app.js, app.css (and their source maps). */
export async function buildPlayground(outdir) {
  mkdirSync(outdir, { recursive: true })
  await build({
    entryPoints: { app: join(web, 'src/main.tsx') },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    tsconfig: join(web, 'tsconfig.json'),
    logLevel: 'warning',
  })
  copyFileSync(join(web, 'index.html'), join(outdir, 'index.html'))
}
