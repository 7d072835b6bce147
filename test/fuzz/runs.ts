/** Fuzz runs per property: small by default so `npm test` stays fast; FUZZ_RUNS=5000 for a long run. */
export const RUNS = Number(process.env.FUZZ_RUNS) > 0 ? Number(process.env.FUZZ_RUNS) : 100
/** A fixed seed unless FUZZ_SEED is set, so a failure reproduces; fast-check prints the seed. */
export const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261127
