// `mnemo notebook`: run a notebook file (docs/NOTEBOOKS.md) without the
// server, printing each cell's first rows, or writing a self-contained HTML
// page with the charts as SVG. Parsing and printing only: app/notebooks.ts
// does the work.
import { writeFileSync } from 'node:fs';
import { common, out, plural, UsageError, workspaceOf, type Command } from './command.ts';
import { formatTable } from './format.ts';

const USAGE = `mnemo notebook run FILE [--param name=value ...] [--html OUT.html] [--config FILE | --data DIR]
mnemo notebook list [--config FILE]
  FILE: a notebook (Markdown with \`\`\`sql id=NAME cells), e.g. notebooks/cluster-sizes.md
  --param: a value for a param of the front matter (run=12, run=latest, min_faces=3)`;

/** Rows of each cell printed in the terminal. */
const PRINTED_ROWS = 20;

const notebook: Command = {
  summary: 'run a notebook of SQL cells and charts on a run, printing the results or writing an HTML page',
  usage: USAGE,
  options: { ...common, param: { type: 'string', multiple: true, short: 'p' }, html: { type: 'string' } },
  async run(values, [action, file, ...rest]) {
    const workspace = await workspaceOf(values);
    if (action === 'list') {
      const { listNotebooks, notebooksDir } = await import('../app/notebooks.ts');
      const items = await listNotebooks(workspace);
      out(items.length ? formatTable(['name', 'title', 'cells', 'charts', 'problems'], items as never) : `no notebooks in ${notebooksDir(workspace)}`);
      return 0;
    }
    if (action !== 'run') throw new UsageError(`${action ? `unknown action '${action}'` : 'say what to do'}\n${USAGE}`);
    if (!file) throw new UsageError(`give the notebook file\n${USAGE}`);
    if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
    const { runNotebookFile } = await import('../app/notebooks.ts');
    const html = typeof values.html === 'string' ? values.html : undefined;
    const result = await runNotebookFile(workspace, file, (values.param as string[] | undefined) ?? [], { html: html !== undefined });
    for (const problem of result.notebook.problems) process.stderr.write(`${file}:${problem.line}: ${problem.message}\n`);
    let failures = 0;
    if (html !== undefined) {
      try {
        writeFileSync(html, result.html!);
      } catch (error) {
        throw new UsageError(`cannot write ${html}: ${(error as Error).message}`);
      }
    }
    for (const cellResult of result.results.values()) {
      if (cellResult.error) {
        failures++;
        process.stderr.write(`${file}:${cellResult.error.line}: cell ${cellResult.name}: ${cellResult.error.message}\n`);
        continue;
      }
      if (html !== undefined) continue;
      const rows = cellResult.rows.slice(0, PRINTED_ROWS).map((row) => Object.fromEntries(cellResult.columns.map((column, i) => [column.name, row[i]])));
      out(`\n${cellResult.name} (${plural(cellResult.rowCount, 'row')}${cellResult.rowCount > rows.length ? `, the first ${rows.length} shown` : ''})`);
      out(formatTable(cellResult.columns.map((column) => column.name), rows as never));
      if (cellResult.limit) out(cellResult.limit.message);
    }
    if (html !== undefined) out(`wrote ${html} (${plural(result.results.size, 'cell')}${failures ? `, ${failures} failed` : ''})`);
    return failures || result.notebook.problems.length ? 1 : 0;
  },
};

export const notebookCommands: Record<string, Command> = { notebook };
