// The `mnemo` command line. Each command is a small function over the store
// and the engine; errors that users can fix are printed without a stack.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runPipeline, RunFailedError } from '../dag/executor.ts';
import { consoleReporter, formatSeconds } from '../dag/progress.ts';
import { loadSpecFile, SpecError, parseSpec } from '../dag/spec.ts';
import { CatalogBusyError } from '../datasets/catalog.ts';
import { ReadOnlySqlError, readOnlyQuery } from '../datasets/read-only-sql.ts';
import { RunLockedError } from '../datasets/run-lock.ts';
import { Store } from '../datasets/store.ts';
import { quoteString } from '../datasets/schema.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { common, out, storeFor, UsageError, type Command } from './command.ts';
import { formatTable, toCsv, toJson } from './format.ts';
import { initialSpec } from './init.ts';
import { demoPhotosFolder } from './demo.ts';
import { peopleCommands } from './people-commands.ts';

const commands: Record<string, Command> = {
  init: {
    summary: 'write a commented mnemo.yaml for a photo folder with the default pipeline',
    usage: 'mnemo init [FOLDER] [--config mnemo.yaml] [--data ./mnemo-data] [--force]',
    options: { ...common, force: { type: 'boolean' } },
    async run(values, [folder = '.']) {
      const config = resolve(String(values.config));
      if (existsSync(config) && !values.force) throw new UsageError(`${config} already exists (use --force to overwrite)`);
      const source = resolve(folder);
      if (!existsSync(source)) throw new UsageError(`folder not found: ${source}`);
      mkdirSync(dirname(config), { recursive: true });
      writeFileSync(config, initialSpec(source, typeof values.data === 'string' ? values.data : './mnemo-data'));
      out(`wrote ${config} for ${source}\nnext: mnemo run${values.config !== 'mnemo.yaml' ? ` --config ${values.config}` : ''}`);
      return 0;
    },
  },
  run: {
    summary: 'validate the pipeline and run it (reusing every node whose inputs did not change)',
    usage: 'mnemo run [--config FILE] [--set node.param=value ...] [--only NODE | --from NODE] [--resume]',
    options: { ...common, set: { type: 'string', multiple: true }, only: { type: 'string' }, from: { type: 'string' }, resume: { type: 'boolean' } },
    async run(values) {
      const spec = loadSpecFile(String(values.config), NODE_TYPES, { overrides: (values.set as string[] | undefined) ?? [] });
      const store = new Store(typeof values.data === 'string' ? values.data : spec.dataDir);
      return runAndReport(spec, store, values);
    },
  },
  runs: {
    summary: 'list the runs',
    usage: 'mnemo runs [--config FILE | --data DIR] [--json]',
    options: { ...common, json: { type: 'boolean' } },
    async run(values) {
      const store = storeFor(values);
      const rows = await store.read((catalog) =>
        catalog.rows(`SELECT r.run_id, r.status, strftime(r.started_at, '%Y-%m-%d %H:%M:%S') AS started,
            round(epoch(r.finished_at - r.started_at), 1) AS seconds,
            count(n.node) FILTER (WHERE n.status = 'done') AS computed, count(n.node) FILTER (WHERE n.status = 'reused') AS reused,
            (SELECT count(*) FROM errors e WHERE e.run_id = r.run_id) AS errors, r.message
          FROM runs r LEFT JOIN run_nodes n USING (run_id) GROUP BY ALL ORDER BY r.run_id`),
      );
      out(values.json ? toJson(rows) : formatTable(['run_id', 'status', 'started', 'seconds', 'computed', 'reused', 'errors', 'message'], rows));
      return 0;
    },
  },
  show: {
    summary: 'one run: its nodes, status, reuse, timings, row counts and errors',
    usage: 'mnemo show RUN [--config FILE | --data DIR] [--json]',
    options: { ...common, json: { type: 'boolean' } },
    async run(values, [runArg]) {
      const store = storeFor(values);
      const runId = await resolveRunId(store, runArg);
      const { run, nodes, errors } = await store.read(async (catalog) => ({
        run: (await catalog.rows('SELECT run_id, status, started_at, finished_at, message, config_path FROM runs WHERE run_id = $1', [runId]))[0],
        nodes: await catalog.rows(`SELECT node, type, status, reused_from, round(duration_ms / 1000, 2) AS seconds, rows_written AS rows, error_count AS errors, metadata, message
          FROM run_nodes WHERE run_id = $1 ORDER BY started_at, node`, [runId]),
        errors: await catalog.rows('SELECT node, item, message FROM errors WHERE run_id = $1 ORDER BY node, item LIMIT 200', [runId]),
      }));
      if (!run) throw new UsageError(`no run ${runId}`);
      if (values.json) {
        out(toJson([{ ...run, nodes, errors }]));
        return 0;
      }
      out(`run ${runId}: ${run.status}${run.message ? ` (${run.message})` : ''}\n`);
      out(formatTable(['node', 'type', 'status', 'reused_from', 'seconds', 'rows', 'errors', 'metadata'], nodes));
      if (errors.length) out(`\nerrors:\n${formatTable(['node', 'item', 'message'], errors)}`);
      return 0;
    },
  },
  sql: {
    summary: 'read-only SQL over the catalog and every run (run21.files, latest.files, ...)',
    usage: 'mnemo sql "QUERY" [--config FILE | --data DIR] [--json | --csv]',
    options: { ...common, json: { type: 'boolean' }, csv: { type: 'boolean' } },
    async run(values, [query]) {
      if (!query) throw new UsageError('give a query, e.g. mnemo sql "SELECT count(*) FROM latest.files"');
      const result = await readOnlyQuery(storeFor(values), query);
      out(values.json ? toJson(result.rows) : values.csv ? toCsv(result.columns, result.rows) : formatTable(result.columns, result.rows));
      return 0;
    },
  },
  export: {
    summary: 'copy one table of a run to a Parquet file',
    usage: 'mnemo export RUN TABLE --out FILE.parquet [--config FILE | --data DIR]',
    options: { ...common, out: { type: 'string', short: 'o' } },
    async run(values, [runArg, table]) {
      if (!runArg || !table || typeof values.out !== 'string') throw new UsageError('usage: mnemo export RUN TABLE --out FILE.parquet');
      const store = storeFor(values);
      const runId = await resolveRunId(store, runArg);
      const outputs = await store.read((catalog) => catalog.rows<{ outputs: string }>('SELECT outputs FROM run_nodes WHERE run_id = $1', [runId]));
      const path = outputs.map((row) => JSON.parse(row.outputs)[table] as string | undefined).find(Boolean);
      if (!path) throw new UsageError(`run ${runId} has no table '${table}'`);
      const target = resolve(values.out);
      const { scratchConnection } = await import('../datasets/parquet.ts');
      const connection = await scratchConnection();
      await connection.run(`COPY (SELECT * FROM read_parquet(${quoteString(store.absolute(path))})) TO ${quoteString(`${target}.tmp`)} (FORMAT parquet, COMPRESSION zstd)`);
      connection.closeSync();
      (await import('node:fs')).renameSync(`${target}.tmp`, target);
      out(`wrote ${target}`);
      return 0;
    },
  },
  import: {
    summary: 'copy photos new by content from the inbox source into the archive (verified; nothing overwritten or deleted)',
    usage: 'mnemo import [--config FILE] [--dry-run] [--node NAME]   (the pipeline needs an import node: params inbox, archive, layout)',
    options: { ...common, 'dry-run': { type: 'boolean' }, node: { type: 'string' } },
    async run(values) {
      const { ImportSetupError, previewImport } = await import('../nodes/import.ts');
      const { readHashCache } = await import('../datasets/hash-cache.ts');
      const spec = loadSpecFile(String(values.config), NODE_TYPES);
      const store = new Store(typeof values.data === 'string' ? values.data : spec.dataDir);
      const nodes = spec.nodes.filter((node) => node.type === 'import' && (!values.node || node.name === values.node));
      if (nodes.length === 0) throw new UsageError(`${values.node ? `no import node named '${values.node}'` : 'the pipeline has no import node'}; add one to ${values.config}, e.g.\n  nodes:\n    import:\n      params: { inbox: camera, archive: photos }`);
      if (nodes.length > 1) throw new UsageError(`the pipeline has several import nodes (${nodes.map((node) => node.name).join(', ')}); pick one with --node NAME`);
      const node = nodes[0]!;
      if (!values['dry-run']) {
        // Only the import node runs (recorded as a run); `mnemo run` then catalogues the new photos.
        const code = await runAndReport(spec, store, { only: node.name });
        const [row] = await store.read((catalog) => catalog.rows<{ metadata: string }>('SELECT metadata FROM run_nodes WHERE node = $1 ORDER BY run_id DESC LIMIT 1', [node.name]));
        const done = JSON.parse(row?.metadata ?? '{}') as Record<string, number>;
        if (code === 0) out(`imported ${done.copied + done.renamedCopies} photos (${done.renamedCopies} under a new name), ${done.alreadyInArchive} already in the archive, ${done.failed} failed; next: mnemo run`);
        return code;
      }
      const plan = await previewImport(spec.sources, node.params as never, (names) => (store.exists() ? store.read((catalog) => readHashCache(catalog, names)) : Promise.resolve(new Map())))
        .catch((error: unknown) => { throw error instanceof ImportSetupError ? new UsageError(error.message) : error; });
      const verbs = { copied: 'copy', renamed_copy: 'copy as', already_in_archive: 'skip' } as const;
      for (const item of plan.items) {
        const how = item.action === 'already_in_archive' ? 'already in the archive at' : '->';
        out(`${verbs[item.action].padEnd(7)} ${plan.inbox.name}:${item.inboxPath} ${how} ${plan.archive.name}:${item.archivePath}${item.dateFrom ? `  (date from ${item.dateFrom})` : ''}`);
      }
      for (const problem of [...plan.inboxProblems, ...plan.problems.map((p) => `${p.item} ${p.message}`)]) out(`problem ${problem}`);
      const count = (action: string) => plan.items.filter((item) => item.action === action).length;
      out(`dry run: ${count('copied') + count('renamed_copy')} to copy (${count('renamed_copy')} under a new name), ${count('already_in_archive')} already in the archive, ${plan.problems.length + plan.inboxProblems.length} problems; nothing was written`);
      return 0;
    },
  },
  gc: {
    summary: 'purge files deleted longer ago than --older-than from the catalog and every run (manual face decisions are archived)',
    usage: 'mnemo gc --older-than 30d [--dry-run] [--config FILE | --data DIR]   (units: s, m, h, d, w)',
    options: { ...common, 'older-than': { type: 'string' }, 'dry-run': { type: 'boolean' } },
    async run(values) {
      const { parseAge, planGc, runGc } = await import('../datasets/gc.ts');
      if (typeof values['older-than'] !== 'string') throw new UsageError('say how long ago files must have been deleted, e.g. mnemo gc --older-than 30d');
      let age: number;
      try {
        age = parseAge(values['older-than']);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const store = storeFor(values);
      const dryRun = Boolean(values['dry-run']);
      const plan = dryRun ? await planGc(store, age) : await runGc(store, age);
      const cutoff = `${plan.cutoff.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
      if (plan.files.length === 0) {
        out(`nothing to purge: no file was deleted before ${cutoff}`);
        return 0;
      }
      out(`${plan.files.length} deleted file${plan.files.length > 1 ? 's' : ''} (deleted before ${cutoff}):\n${formatTable(['source', 'path', 'deleted_at'], plan.files as never)}`);
      if (plan.tables.length) out(`\nrows in per-run tables:\n${formatTable(['path', 'rows'], plan.tables)}`);
      if (plan.faceIds.length) out(`\n${plan.faceIds.length} faces seen only in these photos; ${plan.assignments} manual assignments ${dryRun ? 'would move' : 'moved'} to assignments_archive`);
      out(dryRun ? '\ndry run: nothing was changed' : `\npurged ${plan.files.length} file${plan.files.length > 1 ? 's' : ''}`);
      return 0;
    },
  },
  demo: {
    summary: 'run the default pipeline on the real photos that ship with the installed packages',
    usage: 'mnemo demo [--dir ./mnemo-demo]',
    options: { help: common.help, dir: { type: 'string', default: './mnemo-demo' } },
    async run(values) {
      const dir = resolve(String(values.dir));
      const photos = demoPhotosFolder();
      mkdirSync(dir, { recursive: true });
      const config = join(dir, 'mnemo.yaml');
      writeFileSync(config, initialSpec(photos, './mnemo-data', ['sample*.jpg']));
      out(`demo: ${readdirSync(photos).filter((name) => /^sample.*\.jpg$/.test(name)).length} photos in ${photos}\ndemo: pipeline ${config}`);
      const spec = parseSpec((await import('node:fs')).readFileSync(config, 'utf8'), config, NODE_TYPES);
      const code = await runAndReport(spec, new Store(spec.dataDir), {});
      if (code === 0) {
        const store = new Store(spec.dataDir);
        const photos = await readOnlyQuery(store, `SELECT f.path, i.width || 'x' || i.height AS pixels, e.taken_at, round(e.lat, 4) AS lat, round(e.lon, 4) AS lon,
            count(fa.face_id) FILTER (WHERE NOT fa.rejected) AS faces, count(fa.face_id) FILTER (WHERE fa.rejected) AS rejected_faces,
            (SELECT count(*) FROM latest.pets p WHERE p.file_id = f.file_id) AS pets
          FROM latest.files f JOIN latest.images i USING (file_id) LEFT JOIN latest.exif e USING (file_id) LEFT JOIN latest.faces fa USING (file_id)
          GROUP BY ALL ORDER BY f.path`);
        const people = await readOnlyQuery(store, `SELECT count(DISTINCT cluster_id) FILTER (WHERE cluster_id >= 0) AS clusters,
            count(*) FILTER (WHERE cluster_id < 0) AS unclustered_faces,
            round((SELECT avg(stranger::INT) FROM latest.person_assignment), 2) AS strangers_share
          FROM latest.clusters`);
        out(`\n${formatTable(photos.columns, photos.rows)}\n\n${formatTable(people.columns, people.rows)}`);
        out(`\nexplore:\n  npx mnemo show latest --config ${config}\n  npx mnemo sql --config ${config} "SELECT * FROM latest.clusters JOIN latest.faces USING (face_id)"\n  npx mnemo person create "Anna" --config ${config}   # then: mnemo person assign FACE_ID 1, and run again`);
      }
      return code;
    },
  },
  ...peopleCommands,
};

async function runAndReport(spec: Parameters<typeof runPipeline>[0], store: Store, values: Record<string, unknown>): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const summary = await runPipeline(spec, NODE_TYPES, store, {
      only: values.only as string | undefined,
      from: values.from as string | undefined,
      resume: Boolean(values.resume),
      reporter: consoleReporter(),
      signal: controller.signal,
      command: `mnemo ${process.argv.slice(2).join(' ')}`,
    });
    const total = summary.nodes.reduce((sum, node) => sum + node.durationMs, 0);
    out(`run ${summary.runId} ${summary.status} (${summary.nodes.filter((n) => n.status === 'reused').length} reused, ${summary.nodes.filter((n) => n.status === 'done').length} computed, ${formatSeconds(total / 1000)} of node time)`);
    if (summary.status === 'failed') {
      process.stderr.write(`mnemo: ${summary.message}\nfinished nodes are kept: \`mnemo run --resume\` redoes only the rest\n`);
      return 1;
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function resolveRunId(store: Store, arg: string | undefined): Promise<number> {
  if (arg && /^\d+$/.test(arg)) return Number(arg);
  if (arg && arg !== 'latest') throw new UsageError(`RUN must be a run number or 'latest' (got '${arg}')`);
  const [row] = await store.read((catalog) => catalog.rows<{ run_id: number }>('SELECT max(run_id) AS run_id FROM runs'));
  if (!row?.run_id) throw new UsageError('no runs yet');
  return row.run_id;
}


function help(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    'mnemo: a workbench for a family photo archive',
    '',
    'usage: mnemo COMMAND [options]   (mnemo COMMAND --help for more)',
    '',
    ...Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(help());
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`mnemo: unknown command '${name}'\n\n${help()}\n`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
    if ((values as { help?: boolean }).help) {
      out(`${command.usage}\n\n${command.summary}`);
      return 0;
    }
    return await command.run(values as Record<string, unknown>, positionals);
  } catch (error) {
    if (error instanceof SpecError || error instanceof UsageError || error instanceof RunLockedError || error instanceof CatalogBusyError || error instanceof ReadOnlySqlError || error instanceof RunFailedError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`mnemo ${name}: ${(error as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`mnemo ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
