// `mnemo report`: one run's statistics or two runs compared, in the terminal
// (Markdown), as a self-contained HTML page, or as JSON for scripts
// (docs/REPORTS.md, docs/report.schema.json). Parsing and printing only:
// app/reports.ts does the work.
import { writeFileSync } from 'node:fs';
import { common, out, UsageError, workspaceOf, type Command } from './command.ts';

const REPORT_USAGE = `mnemo report compare RUN_A RUN_B [--format md|html|json] [--out FILE]
mnemo report run RUN [--format md|html|json] [--out FILE]
  [--config FILE | --data DIR]
  RUN: a run number, latest, previous (the full run of the same archive before latest) or a sweep setting (cluster.eps=0.4)
  --format: default md, or what --out's extension says (.html, .json, .md)`;

const FORMAT_OF_EXTENSION: Record<string, string> = { html: 'html', htm: 'html', json: 'json', md: 'md' };

const report: Command = {
  summary: 'statistics of a run, or two runs compared: counts, time, parameters, clusters, accuracy against gold with a significance test',
  usage: REPORT_USAGE,
  options: { ...common, format: { type: 'string', short: 'f' }, out: { type: 'string', short: 'o' } },
  async run(values, [action, ...runs]) {
    const expected = action === 'compare' ? 2 : action === 'run' ? 1 : -1;
    if (expected < 0) throw new UsageError(`${action ? `unknown report '${action}'` : 'say which report'}\n${REPORT_USAGE}`);
    if (runs.length !== expected) throw new UsageError(`mnemo report ${action} needs ${expected === 2 ? 'two runs (RUN_A RUN_B)' : 'one run'}, got ${runs.length}\n${REPORT_USAGE}`);
    const outPath = typeof values.out === 'string' ? values.out : undefined;
    const extension = outPath?.split('.').pop()?.toLowerCase() ?? '';
    const { compareReportOf, parseReportFormat, preloadRenderer, renderReport, runReportOf } = await import('../app/reports.ts');
    const format = parseReportFormat((values.format as string | undefined) ?? FORMAT_OF_EXTENSION[extension]);
    preloadRenderer(format);
    const workspace = await workspaceOf(values);
    const model = action === 'compare' ? await compareReportOf(workspace, runs[0]!, runs[1]!) : await runReportOf(workspace, runs[0]!);
    const text = await renderReport(model, format);
    if (outPath) {
      try {
        writeFileSync(outPath, text);
      } catch (error) {
        throw new UsageError(`cannot write ${outPath}: ${(error as Error).message}`);
      }
      out(`wrote ${outPath}`);
    } else process.stdout.write(text);
    return 0;
  },
};

export const reportCommands: Record<string, Command> = { report };
