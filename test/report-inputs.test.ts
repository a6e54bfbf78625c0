// `mnemo report` on runs it cannot or should not report on: unknown runs, a
// failed run, a run still going, runs of different archives, runs with no
// tables and no gold, and the run names it understands (latest, previous,
// a sweep setting). The runs are registered directly, with no pipeline.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AppError } from '../app/errors.ts';
import { compareReportOf, parseReportFormat, renderReport, resolveReportRun, runReportOf } from '../app/reports.ts';
import { Workspace } from '../app/workspace.ts';
import { Store } from '../datasets/store.ts';
import { repoRoot } from './fixtures.ts';
import { runCli, tempDir } from './helpers.ts';

const dir = tempDir('mnemo-report-inputs-');
const store = new Store(join(dir, 'data'));
const spec = (path: string) => ({ sources: [{ name: 'photos', path }], nodes: [] });

/** Runs: 1 ok, 2 ok (a sweep setting), 3 failed, 4 ok of another archive, 5 ok (latest), 6 still running. */
async function registeredRuns(): Promise<Workspace> {
  const finished = async (path: string, status: 'succeeded' | 'failed', options: { tags?: Record<string, unknown>; latest?: boolean; message?: string } = {}) => {
    const runId = await store.startRun(spec(path), null, options.tags ?? {});
    await store.finishRun(runId, status, options.message ?? null, options.latest ?? true);
    return runId;
  };
  await finished('/photos', 'succeeded');
  await finished('/photos', 'succeeded', { tags: { sweep: 'sweep-1', setting: 'cluster.eps=0.4' }, latest: false });
  await finished('/photos', 'failed', { message: 'images: the disk is full' });
  await finished('/elsewhere', 'succeeded', { latest: false });
  await finished('/photos', 'succeeded');
  await store.startRun(spec('/photos'), null); // this process is alive: the run is still going
  return Workspace.open({ data: store.dataDir });
}

let made: Promise<Workspace> | undefined;
const workspace = () => (made ??= registeredRuns());

async function rejects(work: Promise<unknown>, kind: AppError['kind'], message: RegExp): Promise<void> {
  await assert.rejects(work, (error: unknown) => {
    assert.ok(error instanceof AppError, `not an AppError: ${error}`);
    assert.equal(error.kind, kind);
    assert.match(error.message, message);
    return true;
  });
}

test('run names: numbers, latest, previous (skipping sweeps and failures) and a sweep setting', async () => {
  const ws = await workspace();
  assert.equal(await resolveReportRun(ws, '4'), 4);
  assert.equal(await resolveReportRun(ws, 'latest'), 5);
  assert.equal(await resolveReportRun(ws, 'previous'), 1);
  assert.equal(await resolveReportRun(ws, 'cluster.eps=0.4'), 2);
  await rejects(resolveReportRun(ws, 'cluster.eps=0.9'), 'not_found', /no succeeded sweep run with the setting 'cluster.eps=0.9'/);
  await rejects(resolveReportRun(ws, 'yesterday'), 'invalid', /'yesterday' is not a run: give a run number, 'latest', 'previous'/);
});

test('unknown, failed and running runs and runs of different archives get a clear error', async () => {
  const ws = await workspace();
  await rejects(runReportOf(ws, '99'), 'not_found', /no run 99/);
  await rejects(compareReportOf(ws, '1', '3'), 'conflict', /run 3 failed \(images: the disk is full\): a report needs a succeeded run; `mnemo run --resume 3`/);
  await rejects(compareReportOf(ws, '6', '1'), 'conflict', /run 6 is still running \(PID \d+\)/);
  await rejects(compareReportOf(ws, '1', '4'), 'conflict', /runs 1 and 4 are of different archives \(run 1: photos=\/photos; run 4: photos=\/elsewhere\)/);
  assert.throws(() => parseReportFormat('pdf'), /--format must be one of md, html, json/);
  await rejects(runReportOf(await Workspace.open({ data: join(dir, 'nothing-here') }), 'latest'), 'not_found', /no mnemo catalog/);
});

test('runs with no tables and no gold: null counts and a section that says what is missing, never zeros', async () => {
  const ws = await workspace();
  const report = await compareReportOf(ws, '1', '5');
  assert.ok(report.counts.filter((c) => !c.key.startsWith('errors.')).every((c) => c.a === null && c.b === null && c.change === null));
  assert.equal(report.clusters, null);
  assert.equal(report.persons, null);
  assert.deepEqual(report.distributions, []);
  assert.deepEqual(report.accuracy.sections, []);
  assert.ok(report.missing.some((line) => /no face gold: import verified faces with `mnemo gold import faces FILE.csv`/.test(line)));
  assert.ok(report.missing.some((line) => /cluster correspondence and agreement: a run has no clusters table/.test(line)));
  const md = await renderReport(report, 'md');
  assert.match(md, /## Missing\n\n- A: run 1 has no files, faces, clusters, person_assignment tables: those counts are null/);
  assert.match(md, /\| files +\| - +\| +- \| +- \| +- \|/);
  // Reports full of nulls still match the documented schema.
  const schema = JSON.parse(readFileSync(join(repoRoot, 'docs', 'report.schema.json'), 'utf8')) as object;
  const { Ajv2020 } = (await import('ajv/dist/2020.js')) as unknown as { Ajv2020: new (options: object) => { validate(schema: object, data: unknown): boolean; errorsText(): string } };
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  for (const json of [report, await runReportOf(ws, '1')]) assert.ok(ajv.validate(schema, JSON.parse(JSON.stringify(json))), ajv.errorsText());
  const html = await renderReport(report, 'html');
  assert.match(html, /<h2>Missing<\/h2><ul class="missing">/);
  assert.match(html, /No faces, clusters or pets to draw/);
});

test('the CLI: one line and exit code 2 for a bad run or usage; the report on stdout', async () => {
  await workspace();
  const data = store.dataDir;
  const unknown = runCli(['report', 'compare', '1', '99', '--data', data], dir);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, 'mnemo report: no run 99 (`mnemo runs` lists the runs)\n');
  const usage = runCli(['report', 'compare', '1', '--data', data], dir);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^mnemo report: mnemo report compare needs two runs \(RUN_A RUN_B\), got 1/);
  const format = runCli(['report', 'run', '1', '--format', 'pdf', '--data', data], dir);
  assert.equal(format.code, 2);
  assert.match(format.stderr, /--format must be one of md, html, json/);
  const unwritable = runCli(['report', 'run', '1', '--data', data, '--out', join(dir, 'no-such-folder', 'r.html')], dir);
  assert.equal(unwritable.code, 2);
  assert.match(unwritable.stderr, /^mnemo report: cannot write .*no-such-folder\/r\.html: ENOENT/);
  const ok = runCli(['report', 'run', 'latest', '--data', data, '--format', 'json'], dir);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).run.runId, 5);
});
