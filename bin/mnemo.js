#!/usr/bin/env node
// Entry point. Runs the JavaScript compiled into dist/ (by `npm ci` or `npm run
// build`, scripts/build.mjs) while it is up to date with the TypeScript sources;
// otherwise, or with MNEMO_FROM_SOURCE=1, runs the sources through tsx, which
// transpiles every module at each start (seconds instead of a fraction).
import { distStaleReason } from './dist-fresh.js';

let main;
if (!process.env.MNEMO_FROM_SOURCE && distStaleReason() === null) {
  ({ main } = await import('../dist/bin/cli.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('./cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));
