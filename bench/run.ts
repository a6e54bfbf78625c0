// `npm run bench [-- NAME ... [ARG ...]]`: runs the named benchmarks (default:
// all), one process each so their memory figures do not mix. Arguments that are
// numbers or start with `--` go to every benchmark named (e.g. `images 600 --skip-12mp`).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

const dir = import.meta.dirname;
const all = readdirSync(dir).filter((file) => file.endsWith('.ts') && file !== 'run.ts').map((file) => file.slice(0, -3)).sort();
const isBenchArg = (arg: string): boolean => arg.startsWith('--') || /^\d/.test(arg);
const benchArgs = process.argv.slice(2).filter(isBenchArg);
const names = process.argv.slice(2).filter((arg) => !isBenchArg(arg));
const wanted = names.length ? names : all;
console.log(`mnemo benchmarks on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}`);
let failed = 0;
for (const name of wanted) {
  if (!all.includes(name)) {
    console.error(`no benchmark '${name}' (have: ${all.join(', ')})`);
    failed++;
    continue;
  }
  console.log(`\n== ${name}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(dir, `${name}.ts`), ...benchArgs], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
