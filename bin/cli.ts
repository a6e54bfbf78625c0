// The `mnemo` command line: argument parsing and printing only. Every use
// case lives in the application layer (app/), which each command imports
// when it runs, so `mnemo --help` loads no database, model or image library.
import { parseArgs } from 'node:util';
import { formatSeconds } from '../dag/progress.ts';
import { common, out, plural, UsageError, wholeNumber, workspaceOf, type Command } from './command.ts';
import { formatTable, formatTableOf, toJson, writeRows, writerTo } from './format.ts';
import { peopleCommands } from './people-commands.ts';
import { reportCommands } from './report-commands.ts';
import { notebookCommands } from './notebook-commands.ts';
import { tripCommands } from './trip-commands.ts';
import { serviceCommands } from './service-commands.ts';
import { importYandex, yandexCommands } from './yandex-commands.ts';

const commands: Record<string, Command> = {
  init: {
    summary: 'write a commented mnemo.yaml for a photo folder with the default pipeline',
    usage: 'mnemo init [FOLDER] [--config mnemo.yaml] [--data ./mnemo-data] [--force]',
    options: { ...common, force: { type: 'boolean' } },
    async run(values, [folder = '.']) {
      const { initWorkspace } = await import('../app/setup.ts');
      const { config, source } = await initWorkspace(folder, { config: String(values.config), data: values.data as string | undefined, force: Boolean(values.force) });
      out(`wrote ${config} for ${source}\nnext: mnemo run${values.config !== 'mnemo.yaml' ? ` --config ${values.config}` : ''}`);
      return 0;
    },
  },
  run: {
    summary: 'validate the pipeline and run it (reusing every node whose inputs did not change)',
    usage: 'mnemo run [--config FILE] [--set node.param=value ...] [--only NODE | --from NODE] [--resume [RUN]]   (--resume: the newest interrupted or failed run, or RUN)',
    options: { ...common, set: { type: 'string', multiple: true }, only: { type: 'string' }, from: { type: 'string' }, resume: { type: 'boolean' } },
    async run(values, positionals) {
      if (positionals.length > (values.resume ? 1 : 0)) throw new UsageError(`unexpected argument '${positionals.at(-1)}'${values.resume ? '' : ' (a run number goes with --resume)'}`);
      const resume = values.resume ? (positionals[0] === undefined ? true : wholeNumber(positionals[0], 'RUN')) : undefined;
      return runAndReport(await workspaceOf(values), {
        set: (values.set as string[] | undefined) ?? [], only: values.only as string | undefined, from: values.from as string | undefined, resume,
      });
    },
  },
  runs: {
    summary: 'list the runs',
    usage: 'mnemo runs [--config FILE | --data DIR] [--json]',
    options: { ...common, json: { type: 'boolean' } },
    async run(values) {
      const { listRuns } = await import('../app/runs.ts');
      const rows = await listRuns(await workspaceOf(values));
      out(values.json ? toJson(rows as never) : formatTable(['run_id', 'status', 'started', 'seconds', 'computed', 'reused', 'errors', 'message'], rows as never));
      return 0;
    },
  },
  show: {
    summary: 'one run: its nodes, status, reuse, timings, row counts and errors',
    usage: 'mnemo show [RUN] [--config FILE | --data DIR] [--json]   (RUN: a run number or latest, the newest successful full run)',
    options: { ...common, json: { type: 'boolean' } },
    async run(values, [runArg]) {
      const { getRun, parseRunRef } = await import('../app/runs.ts');
      const run = await getRun(await workspaceOf(values), parseRunRef(runArg));
      if (values.json) {
        out(toJson([run] as never));
        return 0;
      }
      out(`run ${run.runId}: ${run.status}${run.message ? ` (${run.message})` : ''}\n`);
      const nodes = run.nodes.map((node) => ({ node: node.node, type: node.type, status: node.status, reused_from: node.reusedFrom, seconds: node.seconds, rows: node.rows, errors: node.errors, metadata: node.metadata }));
      out(formatTable(['node', 'type', 'status', 'reused_from', 'seconds', 'rows', 'errors', 'metadata'], nodes));
      if (run.errors.length) out(`\nerrors:\n${formatTable(['node', 'item', 'message'], run.errors)}`);
      return 0;
    },
  },
  sql: {
    summary: 'read-only SQL over the catalog and every run (run21.files, latest.files, ...)',
    usage:
      'mnemo sql "QUERY" [--config FILE | --data DIR] [--json | --jsonl | --csv | --out FILE.parquet|.csv|.jsonl] [--timeout SECONDS]   ' +
      '(a table shows the first 1,000 rows; other formats stream every row; the time limit is 60 s unless --timeout says otherwise, 0 = none)',
    options: { ...common, json: { type: 'boolean' }, jsonl: { type: 'boolean' }, csv: { type: 'boolean' }, out: { type: 'string', short: 'o' }, timeout: { type: 'string' } },
    async run(values, [sql]) {
      if (!sql) throw new UsageError('give a query, e.g. mnemo sql "SELECT count(*) FROM latest.files"');
      const timeout = values.timeout as string | undefined;
      if (timeout !== undefined && !/^\d+(\.\d+)?$/.test(timeout)) throw new UsageError(`--timeout must be a number of seconds, 0 for no limit (got '${timeout}')`);
      const options = timeout === undefined ? {} : { timeoutMs: Math.round(Number(timeout) * 1000) };
      const { exportQuery, queryOutput, streamQuery } = await import('../app/store-tools.ts');
      const workspace = await workspaceOf(values);
      if (typeof values.out === 'string') {
        const output = queryOutput(workspace, values.out);
        const rows = await exportQuery(workspace, sql, output, options, (stream, file) => writeRows(output.format === 'csv' ? 'csv' : 'jsonl', stream, writerTo(file)));
        out(`wrote ${plural(rows, 'row')} to ${output.path}`);
        return 0;
      }
      const format = values.json ? 'json' : values.jsonl ? 'jsonl' : values.csv ? 'csv' : null;
      try {
        await streamQuery(workspace, sql, options, async (stream) => (format ? writeRows(format, stream, writerTo(process.stdout)) : out(await formatTableOf(stream))));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EPIPE') return 0; // the reader stopped early (| head): not a failure
        throw error;
      }
      return 0;
    },
  },
  export: {
    summary: 'copy one table of a run to a Parquet file',
    usage: 'mnemo export RUN TABLE --out FILE.parquet [--config FILE | --data DIR]',
    options: { ...common, out: { type: 'string', short: 'o' } },
    async run(values, [runArg, table]) {
      if (!runArg || !table || typeof values.out !== 'string') throw new UsageError('usage: mnemo export RUN TABLE --out FILE.parquet');
      const { parseRunRef } = await import('../app/runs.ts');
      const { exportTable } = await import('../app/store-tools.ts');
      const { path } = await exportTable(await workspaceOf(values), parseRunRef(runArg), table, values.out);
      out(`wrote ${path}`);
      return 0;
    },
  },
  import: {
    summary: 'copy photos new by content from the inbox source into the archive (verified; nothing overwritten or deleted); import yandex: from the Yandex.Disk camera folder',
    usage: 'mnemo import [yandex] [--config FILE] [--dry-run] [--node NAME]   (the pipeline needs an import node: params inbox, archive, layout; `mnemo import yandex`: a yandex-import node, params archive, layout)',
    options: { ...common, 'dry-run': { type: 'boolean' }, node: { type: 'string' } },
    async run(values, positionals) {
      if (positionals[0] === 'yandex') return importYandex(values, commandLine());
      const workspace = await workspaceOf(values);
      const node = values.node as string | undefined;
      const { previewImport, runImport } = await import('../app/imports.ts');
      if (!values['dry-run']) {
        const { consoleProgress } = await import('../dag/progress.ts');
        const result = await runImport(workspace, { node, onEvent: consoleProgress(), command: commandLine() });
        const code = printRunSummary(result.summary);
        if (code === 0) out(`imported ${result.copied + result.renamedCopies} photos (${result.renamedCopies} under a new name), ${result.alreadyInArchive} already in the archive, ${result.failed} failed; next: mnemo run`);
        return code;
      }
      const plan = await previewImport(workspace, node);
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
      if (typeof values['older-than'] !== 'string') throw new UsageError('say how long ago files must have been deleted, e.g. mnemo gc --older-than 30d');
      const { collectGarbage } = await import('../app/store-tools.ts');
      const dryRun = Boolean(values['dry-run']);
      const plan = await collectGarbage(await workspaceOf(values), values['older-than'], { dryRun });
      const cutoff = `${plan.cutoff.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
      if (plan.files.length === 0) {
        out(`nothing to purge: no file was deleted before ${cutoff}`);
        return 0;
      }
      out(`${plural(plan.files.length, 'deleted file')} (deleted before ${cutoff}):\n${formatTable(['source', 'path', 'deleted_at'], plan.files as never)}`);
      if (plan.tables.length) out(`\nrows in per-run tables:\n${formatTable(['path', 'rows'], plan.tables)}`);
      if (plan.faceIds.length) out(`\n${plan.faceIds.length} faces seen only in these photos; ${plan.assignments} manual assignments ${dryRun ? 'would move' : 'moved'} to assignments_archive`);
      out(dryRun ? '\ndry run: nothing was changed' : `\npurged ${plural(plan.files.length, 'file')}`);
      return 0;
    },
  },
  demo: {
    summary: 'run the default pipeline on the real photos that ship with the installed packages',
    usage: 'mnemo demo [--dir ./mnemo-demo] [--serve [--port N]]   (--serve: then open the workbench on the demo archive)',
    options: { help: common.help, dir: { type: 'string', default: './mnemo-demo' }, serve: { type: 'boolean' }, port: { type: 'string' } },
    async run(values) {
      const { demoSummary, prepareDemo } = await import('../app/setup.ts');
      const demo = await prepareDemo(String(values.dir));
      out(`demo: ${demo.count} photos in ${demo.photos}\ndemo: pipeline ${demo.config}`);
      const code = await runAndReport(demo.workspace, {});
      if (code === 0) {
        const { photos, people } = await demoSummary(demo.workspace);
        out(`\n${formatTable(photos.columns, photos.rows)}\n\n${formatTable(people.columns, people.rows)}`);
        out(`\nexplore:\n  npx mnemo show latest --config ${demo.config}\n  npx mnemo sql --config ${demo.config} "SELECT * FROM latest.clusters JOIN latest.faces USING (face_id)"\n  npx mnemo person create "Anna" --config ${demo.config}   # then: mnemo person assign FACE_ID 1, and run again`);
      }
      if (code === 0 && values.serve) return serveWorkbench(demo.workspace, { port: values.port === undefined ? undefined : wholeNumber(values.port as string, '--port') });
      return code;
    },
  },
  serve: {
    summary: 'the workbench: the web app and its JSON API on http://127.0.0.1:7707/ (decisions take effect at once)',
    usage: 'mnemo serve [--config FILE | --data DIR] [--port 7707] [--host 127.0.0.1] [--token TOKEN]   (another host than 127.0.0.1, localhost or ::1 needs a token: --token, MNEMO_TOKEN, or one made and printed)',
    options: { ...common, port: { type: 'string' }, host: { type: 'string' }, token: { type: 'string' } },
    async run(values) {
      const port = values.port === undefined ? undefined : wholeNumber(values.port as string, '--port');
      return serveWorkbench(await workspaceOf(values), { port, host: values.host as string | undefined, token: values.token as string | undefined });
    },
  },
  ...peopleCommands,
  ...reportCommands,
  ...notebookCommands,
  ...tripCommands,
  ...serviceCommands,
  ...yandexCommands,
};

/** Builds the web app when it is missing or stale, serves the workbench until Ctrl-C. */
async function serveWorkbench(workspace: import('../app/workspace.ts').Workspace, options: { port?: number; host?: string; token?: string }): Promise<number> {
  const { DEFAULT_PORT, serve } = await import('../workbench/server/server.ts');
  const { ensureWebBuild } = await import('../workbench/build-web.ts');
  const port = options.port ?? DEFAULT_PORT;
  if (port > 65535) throw new UsageError(`--port must be from 0 to 65535 (got ${port})`);
  // A workbench already on this data folder: say where, before building anything.
  await (await import('../app/server-instance.ts')).assertNoInstance(workspace.store.dataDir);
  // Without a built app the API still works; say why the page is missing.
  await ensureWebBuild({ log: (line) => process.stderr.write(`mnemo serve: ${line}\n`) }).catch((error: Error) => process.stderr.write(`mnemo serve: ${error.message}\n`));
  const token = options.token ?? process.env.MNEMO_TOKEN;
  const { app, url } = await serve(workspace, { host: options.host ?? '127.0.0.1', port, token });
  out(`mnemo workbench: ${url}   (Ctrl-C stops it)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    // Started by `mnemo service run` (an IPC channel): stop when it is gone, however it went.
    process.once('disconnect', resolve);
    if (process.send && !process.connected) resolve();
    process.channel?.unref(); // that channel alone keeps no server alive
  });
  await app.close(); // a run going is cancelled: finished nodes are kept, `mnemo run --resume` completes it
  return 0;
}

const commandLine = () => `mnemo ${process.argv.slice(2).join(' ')}`;

/** Runs the pipeline with live progress on stderr; Ctrl-C interrupts it (finished nodes are kept). */
async function runAndReport(workspace: import('../app/workspace.ts').Workspace, options: import('../app/pipeline.ts').StartRunOptions): Promise<number> {
  const { startRun } = await import('../app/pipeline.ts');
  const { consoleProgress } = await import('../dag/progress.ts');
  // This process does nothing else while it runs, so the run may keep the catalog open between its own units of work.
  const run = await startRun(workspace, { ...options, onEvent: consoleProgress(), command: commandLine(), keepCatalogOpen: true });
  const onSignal = () => run.cancel();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return printRunSummary(await run.done);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function printRunSummary(summary: import('../dag/executor.ts').RunSummary): number {
  const total = summary.nodes.reduce((sum, node) => sum + node.durationMs, 0);
  out(`run ${summary.runId} ${summary.status} (${summary.nodes.filter((n) => n.status === 'reused').length} reused, ${summary.nodes.filter((n) => n.status === 'done').length} computed, ${formatSeconds(total / 1000)} of node time)`);
  if (summary.status === 'failed') {
    process.stderr.write(`mnemo: ${summary.message}\nfinished nodes are kept: \`mnemo run --resume\` redoes only the rest\n`);
    return 1;
  }
  return 0;
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
    // A mistake a person can fix is one line and exit code 2; only a bug prints a stack.
    const { asAppError } = await import('../app/errors.ts');
    if (error instanceof UsageError || asAppError(error) || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`mnemo ${name}: ${(error as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`mnemo ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
