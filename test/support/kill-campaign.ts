// A random-kill campaign: a pipeline run and a person decision, each in a
// child process, each SIGKILLed at a random moment (seeded). After every
// kill the store must hold: the catalog opens, the decision journal is the
// one from before plus, at most, the whole killed batch (never half of it),
// and --resume (or a plain run) finishes with tables equal to an
// uninterrupted run. The test runs a few kills; bench/kill-campaign.ts many.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPipeline } from '../../dag/executor.ts';
import { loadSpecFile } from '../../dag/spec.ts';
import { Persons } from '../../datasets/persons.ts';
import { readOnlyQuery } from '../../datasets/read-only-sql.ts';
import { Store } from '../../datasets/store.ts';
import { repoRoot } from '../fixtures.ts';
import { crashRegistry } from './crash-child.ts';
import { seededRandom } from '../../reports/statistics.ts'; // mulberry32: a failing campaign can be replayed

export interface CampaignResult {
  attempts: number;
  held: number;
  failures: string[];
}


function spawnKilled(args: string[], delayMs: number): Promise<{ output: string; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot });
    let output = '';
    let exited = false;
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      if (!exited) child.kill('SIGKILL');
    }, delayMs);
    child.on('close', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      resolve({ output, killed: signal === 'SIGKILL' });
    });
  });
}

async function tables(store: Store, runId: number): Promise<string> {
  const read = async (table: string, order: string) => (await readOnlyQuery(store, `SELECT * FROM run${runId}.${table} ORDER BY ${order}`)).rows;
  return JSON.stringify([await read('files', 'file_id'), await read('hashes', 'file_id'), await read('sizes', 'file_id'), await read('summary', 'files')], (_, v) => (typeof v === 'bigint' ? String(v) : v));
}

/** The journal as text: batches and assignment rows without their timestamps. */
async function journal(store: Store): Promise<{ batches: string[]; rows: Map<number, number> }> {
  const batches = (await readOnlyQuery(store, 'SELECT batch_id, action, summary FROM journal_batches ORDER BY batch_id')).rows.map((row) => `${row.batch_id} ${row.action} ${row.summary}`);
  const counts = (await readOnlyQuery(store, 'SELECT batch_id, count(*) AS n FROM assignments GROUP BY batch_id')).rows;
  return { batches, rows: new Map(counts.map((row) => [Number(row.batch_id), Number(row.n)])) };
}

export async function killCampaign(options: { dir: string; kills: number; seed: number; log?: (line: string) => void }): Promise<CampaignResult> {
  const next = seededRandom(options.seed);
  const photos = join(options.dir, 'photos', 'Фото');
  mkdirSync(photos, { recursive: true });
  for (let i = 0; i < 300; i++) writeFileSync(join(photos, `img-${String(i).padStart(4, '0')}.jpg`), `photo ${i % 250}`.repeat(200));
  const config = (data: string) => {
    const path = join(options.dir, `${data}.yaml`);
    writeFileSync(path, `data: ./${data}\nsources:\n  - name: archive\n    path: ./photos\nnodes:\n  scan:\n  hash:\n  twostep:\n    params: {blockFile: ${JSON.stringify(join(options.dir, 'no-block'))}}\n`);
    return path;
  };
  const reference = loadSpecFile(config('reference'), crashRegistry);
  const referenceStore = new Store(reference.dataDir);
  const started = Date.now();
  const expected = await tables(referenceStore, (await runPipeline(reference, crashRegistry, referenceStore)).runId);
  // Kill moments spread over the child's start-up (tsx) and a whole run.
  const window = 1500 + 2 * (Date.now() - started);

  const result: CampaignResult = { attempts: 0, held: 0, failures: [] };
  for (let attempt = 0; attempt < options.kills; attempt++) {
    const name = `data${attempt}`;
    const path = config(name);
    const store = new Store(loadSpecFile(path, crashRegistry).dataDir);
    const persons = await Persons.open(store, { author: 'campaign' });
    const { personId } = await persons.create('Anna');
    await persons.assign(['face-a', 'face-b'], String(personId), { source: 'import' });
    const before = await journal(store);
    const runDelay = Math.round(next() * window);
    const personDelay = Math.round(next() * window);
    const [run, person] = await Promise.all([
      spawnKilled(['--import', 'tsx', join(repoRoot, 'test/support/crash-child.ts'), path], runDelay),
      spawnKilled([join(repoRoot, 'bin/mnemo.js'), 'person', 'assign', 'face-c', 'face-d', 'stranger', '--config', path], personDelay),
    ]);
    result.attempts++;
    const what = `attempt ${attempt} (seed ${options.seed}): run killed ${run.killed ? `at ${runDelay} ms` : 'never (it finished)'}, person assign killed ${person.killed ? `at ${personDelay} ms` : 'never'}`;
    try {
      const after = await journal(store);
      const kept = before.batches.every((batch, i) => after.batches[i] === batch) && [...before.rows].every(([batch, n]) => after.rows.get(batch) === n);
      if (!kept) throw new Error(`the journal from before changed: ${JSON.stringify(before.batches)} -> ${JSON.stringify(after.batches)}`);
      const extra = after.batches.slice(before.batches.length);
      if (extra.length > 1 || (extra.length === 1 && after.rows.get(Number(extra[0]!.split(' ')[0])) !== 2)) throw new Error(`a half-written decision: ${JSON.stringify(extra)} ${JSON.stringify([...after.rows])}`);
      if (!person.killed && extra.length !== 1) throw new Error(`a finished decision is missing: ${person.output}`);
      const spec = loadSpecFile(path, crashRegistry);
      let runId: number;
      try {
        runId = (await runPipeline(spec, crashRegistry, store, { resume: true })).runId;
      } catch (error) {
        if (!/nothing to resume/.test(String(error))) throw error;
        runId = (await runPipeline(spec, crashRegistry, store)).runId;
      }
      if ((await tables(store, runId)) !== expected) throw new Error('the finished run differs from an uninterrupted one');
      const recovered = await journal(store);
      if (JSON.stringify(recovered.batches) !== JSON.stringify(after.batches)) throw new Error('recovery changed the journal');
      result.held++;
      options.log?.(`${what}: held`);
    } catch (error) {
      result.failures.push(`${what}: ${(error as Error).message}`);
      options.log?.(`${what}: FAILED ${(error as Error).message}`);
    }
  }
  return result;
}
