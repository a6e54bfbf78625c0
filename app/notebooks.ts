// Notebooks: Markdown files of SQL cells and charts in the `notebooks/`
// folder beside mnemo.yaml (docs/NOTEBOOKS.md). List, open, save, run (with
// its params checked and `latest` resolved to a run), export a cell's result,
// and run a file from the command line into a self-contained HTML page.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Notebook, NotebookListItem, ParamValue } from '../notebook/parse.ts';
import type { NotebookEvent } from '../notebook/run.ts';
import type { CellResult } from '../notebook/result.ts';
import { asAppError, invalid, notFound } from './errors.ts';
import { resolveRun } from './runs.ts';
import type { Workspace } from './workspace.ts';

/** A notebook file name: no folders, ends in .md. */
const NOTEBOOK_NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,120}\.md$/;
/** Notebooks are text: this is far more than one needs. */
export const MAX_NOTEBOOK_BYTES = 1024 * 1024;

export interface OpenNotebook {
  name: string;
  text: string;
  notebook: Notebook;
}

/** `notebooks/` beside the workspace's mnemo.yaml. */
export function notebooksDir(workspace: Workspace): string {
  return join(dirname(resolve(workspace.configPath)), 'notebooks');
}

function notebookPath(workspace: Workspace, name: string): string {
  if (!NOTEBOOK_NAME.test(name)) throw invalid(`notebook name '${name}': a file name ending in .md, with letters, digits, space, '.', '_' or '-' (no folders)`);
  return join(notebooksDir(workspace), name);
}

export type { NotebookListItem };

const parser = () => import('../notebook/parse.ts');

export async function listNotebooks(workspace: Workspace): Promise<NotebookListItem[]> {
  const dir = notebooksDir(workspace);
  if (!existsSync(dir)) return [];
  const { chartBlocks, parseNotebook, sqlCells } = await parser();
  return readdirSync(dir)
    .filter((name) => NOTEBOOK_NAME.test(name))
    .sort()
    .map((name) => {
      const path = join(dir, name);
      const notebook = parseNotebook(readFileSync(path, 'utf8'));
      return { name, title: notebook.title, cells: sqlCells(notebook).length, charts: chartBlocks(notebook).length, problems: notebook.problems.length, modified: statSync(path).mtime.toISOString() };
    });
}

export async function openNotebook(workspace: Workspace, name: string): Promise<OpenNotebook> {
  const path = notebookPath(workspace, name);
  if (!existsSync(path)) throw notFound(`no notebook ${name} in ${notebooksDir(workspace)}`);
  const text = readFileSync(path, 'utf8');
  return { name, text, notebook: (await parser()).parseNotebook(text) };
}

/** Writes the text as it is (atomically); a notebook with problems is saved too, and they come back. */
export async function saveNotebook(workspace: Workspace, name: string, text: string): Promise<OpenNotebook> {
  const path = notebookPath(workspace, name);
  if (Buffer.byteLength(text) > MAX_NOTEBOOK_BYTES) throw invalid(`a notebook is at most ${MAX_NOTEBOOK_BYTES / 1024} KB`);
  const { writeFileAtomic } = await import('../datasets/atomic-file.ts');
  await writeFileAtomic(path, text); // makes notebooks/ when it is not there yet
  return { name, text, notebook: (await parser()).parseNotebook(text) };
}

/**
 * Each param's value: the one given (text from a command line or URL, or
 * JSON), else its default; run params resolved to a run number (`latest`
 * included), so the notebook runs on one run.
 */
export async function resolveParams(workspace: Workspace, notebook: Notebook, given: Record<string, unknown> = {}): Promise<Record<string, ParamValue>> {
  const { parseParamValue } = await parser();
  for (const name of Object.keys(given)) {
    if (!notebook.params.some((param) => param.name === name)) throw invalid(`param '${name}' is not declared in this notebook's front matter (params: ${notebook.params.map((param) => param.name).join(', ') || 'none'})`);
  }
  const values: Record<string, ParamValue> = {};
  for (const param of notebook.params) {
    let value: ParamValue;
    try {
      value = given[param.name] === undefined ? param.default : parseParamValue(param.type, given[param.name]);
    } catch (error) {
      throw invalid(`param '${param.name}' ${(error as Error).message}`);
    }
    if (param.type === 'run') value = await resolveRun(workspace, value === null ? 'latest' : (value as number | 'latest'));
    values[param.name] = value;
  }
  return values;
}

export interface RunOptions {
  /** Indexes of the SQL cells to run (with the cells they use); default all. */
  cells?: number[];
  signal?: AbortSignal;
}

/** The run's events as notebook/run.ts makes them; lower-layer errors become AppErrors. */
export async function* notebookEvents(workspace: Workspace, notebook: Notebook, values: Record<string, ParamValue>, options: RunOptions = {}): AsyncGenerator<NotebookEvent> {
  const { runNotebook } = await import('../notebook/run.ts');
  const { sqlCells } = await parser();
  const count = sqlCells(notebook).length;
  for (const cell of options.cells ?? []) if (!Number.isInteger(cell) || cell < 0 || cell >= count) throw invalid(`cell ${cell} does not exist (the notebook has ${count} SQL cells, numbered from 0)`);
  try {
    yield* runNotebook(workspace.store, notebook, { values, cells: options.cells, signal: options.signal });
  } catch (error) {
    throw asAppError(error) ?? error;
  }
}

/** Runs every cell and folds the events into one result per cell (at most the row limit each). */
export async function runToResults(workspace: Workspace, notebook: Notebook, values: Record<string, ParamValue>, options: RunOptions = {}): Promise<Map<number, CellResult>> {
  const { applyEvent } = await import('../notebook/result.ts');
  const results = new Map<number, CellResult>();
  for await (const event of notebookEvents(workspace, notebook, values, options)) applyEvent(results, event);
  return results;
}

export type ExportFormat = 'parquet' | 'csv';

/**
 * Writes one cell's result (as the notebook's row limit keeps it) to `path`:
 * the cells it needs run first. mnemo writes the file, never the cell's SQL.
 */
export async function exportCell(workspace: Workspace, notebook: Notebook, values: Record<string, ParamValue>, cell: number, format: ExportFormat, path: string): Promise<{ rows: number }> {
  const { sqlCells } = await parser();
  const target = sqlCells(notebook)[cell];
  if (!target) throw notFound(`cell ${cell} does not exist`);
  if (!target.id) throw invalid(`give the cell an id to export it (\`\`\`sql id=NAME, line ${target.line})`);
  const { runNotebook } = await import('../notebook/run.ts');
  const { writeResultAsParquet } = await import('../datasets/read-only-sql.ts');
  let rows = 0;
  try {
    for await (const event of runNotebook(workspace.store, notebook, {
      values, cells: [cell],
      exportCell: { cell, write: async (result) => void (rows = await writeResultAsParquet(result, path, format)) },
    })) {
      if (event.type === 'cell-error' && event.cell === cell) throw invalid(`cell '${target.id}' failed: ${event.message}`);
    }
  } catch (error) {
    throw asAppError(error) ?? error;
  }
  return { rows };
}

/** `mnemo notebook run FILE`: the file anywhere, params as name=value texts; the results and, when asked, the HTML page. */
export async function runNotebookFile(workspace: Workspace, file: string, params: string[], options: { html?: boolean } = {}): Promise<{ notebook: Notebook; values: Record<string, ParamValue>; results: Map<number, CellResult>; html: string | null }> {
  const path = resolve(file);
  if (!existsSync(path)) throw notFound(`no notebook file ${file}`);
  const notebook = (await parser()).parseNotebook(readFileSync(path, 'utf8'));
  const given: Record<string, string> = {};
  for (const pair of params) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
    if (!match) throw invalid(`--param ${pair}: write name=value`);
    given[match[1]!] = match[2]!;
  }
  const values = await resolveParams(workspace, notebook, given);
  const results = await runToResults(workspace, notebook, values);
  let html: string | null = null;
  if (options.html) html = (await import('../notebook/render-html.ts')).renderNotebookHtml(notebook, results, { values, source: basename(path) });
  return { notebook, values, results, html };
}

/** The demo's notebooks: written into notebooks/ unless a file of that name is there (a user's edits are never overwritten). */
export async function writeDemoNotebooks(workspace: Workspace): Promise<string[]> {
  const { DEMO_NOTEBOOKS } = await import('../notebook/demo-notebooks.ts');
  const dir = notebooksDir(workspace);
  const { writeFileAtomic } = await import('../datasets/atomic-file.ts');
  const written: string[] = [];
  for (const [name, text] of Object.entries(DEMO_NOTEBOOKS)) {
    try {
      await writeFileAtomic(join(dir, name), text, { replace: false });
      written.push(name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return written;
}
