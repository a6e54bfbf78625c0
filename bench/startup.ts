// Start-up benchmark: wall-clock time of short `mnemo` commands, each started
// N times from the compiled dist/ entry and from the TypeScript sources through
// tsx (MNEMO_FROM_SOURCE=1), interleaved so that load on the machine hits both
// alike. Then the import cost of the heavy packages, one fresh process each.
//
//   npm run bench -- startup        # 7 starts per command and entry
//   npm run bench -- startup 15     # or N=15
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureFreshDist } from './lib/fresh-dist.ts';

const n = Number(process.argv[2] ?? process.env.N ?? 7);
const root = join(import.meta.dirname, '..');
const mnemo = join(root, 'bin', 'mnemo.js');

ensureFreshDist(root);

const dir = mkdtempSync(join(tmpdir(), 'mnemo-startup-'));
const data = join(dir, 'data');

/**
 * CPU ms (user + system) of this process's finished children, from /proc/self/stat (Linux only,
 * 10 ms ticks): unlike wall-clock, it hardly moves when other work loads the machine.
 */
const childCpuMs = (): number | undefined => {
  if (!existsSync('/proc/self/stat')) return undefined;
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10; // cutime, cstime in USER_HZ (100 on Linux)
};

interface Sample {
  wall: number;
  cpu: number | undefined;
}

function run(args: string[], fromSource: boolean): Sample {
  const env = { ...process.env, FORCE_COLOR: '0', MNEMO_FROM_SOURCE: fromSource ? '1' : '' };
  const cpu0 = childCpuMs();
  const t0 = performance.now();
  const result = spawnSync(process.execPath, [mnemo, ...args], { cwd: dir, env, encoding: 'utf8' });
  const wall = performance.now() - t0;
  const cpu1 = childCpuMs();
  if (result.status !== 0) throw new Error(`mnemo ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { wall, cpu: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0 };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (ms: number): string => `${Math.round(ms)} ms`.padStart(8);

try {
  run(['person', 'create', 'Anna', '--data', data], false); // a small store: the catalog and one person
  const commands: [string, string[]][] = [
    ['mnemo --help', ['--help']],
    ['mnemo person list', ['person', 'list', '--data', data]],
    ['mnemo sql "SELECT 1"', ['sql', 'SELECT 1', '--data', data]],
  ];
  console.log(`start-up, ${n} runs each, ${cpus().length} cores, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}`);
  console.log('wall: wall-clock of the whole process, median (min); cpu: its user + system CPU time, median');
  console.log(`${'command'.padEnd(22)} ${'dist wall'.padStart(18)} ${'tsx wall'.padStart(18)} ${'dist cpu'.padStart(9)} ${'tsx cpu'.padStart(9)}  speed-up (wall)`);
  for (const [label, args] of commands) {
    run(args, false); // warm the file cache for both
    run(args, true);
    const dist: Sample[] = [];
    const tsx: Sample[] = [];
    for (let i = 0; i < n; i++) {
      dist.push(run(args, false));
      tsx.push(run(args, true));
    }
    const wall = (xs: Sample[]): string => `${fmt(median(xs.map((x) => x.wall)))} (${fmt(Math.min(...xs.map((x) => x.wall))).trim()})`.padStart(18);
    const cpu = (xs: Sample[]): string => (xs[0]!.cpu === undefined ? '-' : fmt(median(xs.map((x) => x.cpu!)))).padStart(9);
    const speedup = median(tsx.map((x) => x.wall)) / median(dist.map((x) => x.wall));
    console.log(`${label.padEnd(22)} ${wall(dist)} ${wall(tsx)} ${cpu(dist)} ${cpu(tsx)}  ${speedup.toFixed(1)}x`);
  }

  // What the start-up spends on packages: each imported alone in a fresh process (includes its own dependencies).
  const packages = ['@duckdb/node-api', 'sharp', 'onnxruntime-node', 'exifr', 'zod', 'yaml', 'hnswlib-node', 'umap-js'];
  console.log(`\nimport time of packages alone (median of ${Math.min(n, 5)} fresh processes)`);
  for (const name of packages) {
    const times: number[] = [];
    for (let i = 0; i < Math.min(n, 5); i++) {
      const code = `const t = performance.now(); await import(${JSON.stringify(name)}); console.log(performance.now() - t);`;
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`import ${name}: ${result.stderr}`);
      times.push(Number(result.stdout.trim()));
    }
    console.log(`  ${name.padEnd(28)} ${fmt(median(times))}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
