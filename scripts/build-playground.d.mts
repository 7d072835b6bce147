/** Builds the browser playground into `outdir` (build-playground.mjs). */
export function buildPlayground(outdir: string): Promise<void>
