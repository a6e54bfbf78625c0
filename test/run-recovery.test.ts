// What happens to a run that dies: killed with SIGKILL, or stopped by a full
// disk. The next run marks it interrupted (saying how far it got), any such
// run can be resumed by number, and a full disk is reported as a full disk,
// never as the failed rollback that follows it. Nothing is lost.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './fixtures.ts';
import { runCli, tempDir } from './helpers.ts';

const PIPELINE = (photos: string) => `data: ./data
sources:
  - name: photos
    path: ${JSON.stringify(photos)}
    include: ["**/*.jpg"]
nodes:
  scan:
  hash:
    params: {concurrency: 1}
`;

function workspace(root = tempDir()): { dir: string; photos: string } {
  const photos = join(root, 'Фото');
  mkdirSync(photos, { recursive: true });
  for (let i = 0; i < 20; i++) writeFileSync(join(photos, `фото-${i}.jpg`), `photo ${i}`);
  writeFileSync(join(root, 'mnemo.yaml'), PIPELINE(photos));
  return { dir: root, photos };
}

const runs = (dir: string) => JSON.parse(runCli(['runs', '--json'], dir).stdout) as { run_id: number; status: string; message: string | null }[];
const noStack = (text: string) => assert.doesNotMatch(text, /\n\s+at /, `no stack trace:\n${text}`);

test('a killed run is marked interrupted by the next run, and --resume RUN finishes it', async () => {
  const { dir } = workspace();
  assert.equal(runCli(['run'], dir).code, 0);
  writeFileSync(join(dir, 'Фото', 'new.jpg'), 'new');
  // A run killed with SIGKILL as soon as it has started (run-child prints the run's events).
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/support/run-child.ts'), join(dir, 'mnemo.yaml')], { cwd: repoRoot });
  await new Promise<void>((resolve) => child.stdout.on('data', (chunk) => String(chunk).includes('scan: done') && resolve()));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('close', resolve));
  const killed = runs(dir).at(-1)!;
  assert.equal(killed.status, 'interrupted', '`mnemo runs` shows a dead run as interrupted before anything rewrote it');

  const next = runCli(['run'], dir);
  assert.equal(next.code, 0, next.stderr);
  const after = runs(dir).find((run) => run.run_id === killed.run_id)!;
  assert.equal(after.status, 'interrupted');
  assert.match(after.message ?? '', /^interrupted: its process \(PID \d+\) ended before the run finished; 1 of 2 nodes done; `mnemo run --resume \d+` finishes it$/);

  const resumed = runCli(['run', '--resume', String(killed.run_id)], dir);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`resuming run ${killed.run_id} \\(1 of 2 nodes already done\\)`));
  assert.equal(runs(dir).find((run) => run.run_id === killed.run_id)!.status, 'succeeded');

  const nothing = runCli(['run', '--resume'], dir);
  assert.equal(nothing.code, 2);
  assert.match(nothing.stderr, /^mnemo run: nothing to resume: the newest run \(\d+\) succeeded\n$/);
  const missing = runCli(['run', '--resume', '99'], dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nothing to resume: there is no run 99/);
  noStack(nothing.stderr + missing.stderr);
});

const canMount = process.platform === 'linux' && process.getuid?.() === 0;

test('a full disk is reported as a full disk; nothing is lost and the next run recovers', { skip: canMount ? false : 'needs root to mount a small tmpfs' }, async (t) => {
  const root = tempDir();
  const disk = join(root, 'disk');
  mkdirSync(disk);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', disk], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    t.skip(`cannot mount a tmpfs here: ${mounted.stderr.trim()}`);
    return;
  }
  try {
    const { dir } = workspace(disk);
    assert.equal(runCli(['run'], dir).code, 0);
    assert.equal(runCli(['person', 'create', 'Anna'], dir).code, 0);
    // Fill what is left of the disk.
    const filler = join(disk, 'filler');
    let files = 0;
    for (const size of [256 * 1024, 4096, 1]) {
      for (;;) {
        try {
          writeFileSync(`${filler}-${files++}`, Buffer.alloc(size, 1));
        } catch {
          break;
        }
      }
    }
    rmSync(join(dir, 'Фото', 'фото-0.jpg')); // a change, so the run has work to write
    const full = runCli(['run'], dir);
    assert.notEqual(full.code, 0, `${full.stdout}\n${full.stderr}`);
    assert.match(full.stderr, /^mnemo( run)?: .*No space left on device/m);
    assert.doesNotMatch(full.stderr, /cannot rollback|no transaction is active/);
    noStack(full.stderr);
    // A decision on the full disk either lands whole (the failed run freed its temporary files) or says the disk is full.
    const person = runCli(['person', 'create', 'Boris'], dir);
    if (person.code !== 0) {
      assert.equal(person.code, 2);
      assert.match(person.stderr, /^mnemo person: the disk is full: .*No space left on device/);
      noStack(person.stderr);
    }
    assert.doesNotMatch(person.stderr, /cannot rollback|no transaction is active/);

    // Free the disk: the next run succeeds, the stopped run is not left 'running', Anna is still there.
    for (let i = 0; i < files; i++) rmSync(`${filler}-${i}`, { force: true });
    const next = runCli(['run'], dir);
    assert.equal(next.code, 0, `${next.stderr}\n${spawnSync('df', ['-h', disk], { encoding: 'utf8' }).stdout}\n${spawnSync('ls', ['-la', disk, join(dir, 'data')], { encoding: 'utf8' }).stdout}`);
    assert.ok(runs(dir).every((run) => run.status !== 'running'), JSON.stringify(runs(dir)));
    const persons = JSON.parse(runCli(['person', 'list', '--json'], dir).stdout) as { name: string }[];
    assert.deepEqual(persons.map((p) => p.name), person.code === 0 ? ['Anna', 'Boris'] : ['Anna']);
    assert.match(runCli(['sql', "SELECT count(*) AS n FROM latest.files WHERE status = 'active'"], dir).stdout, /\b19\b/);
  } finally {
    spawnSync('umount', ['-l', disk]);
  }
});
