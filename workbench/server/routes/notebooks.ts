// Notebooks (docs/NOTEBOOKS.md): list, open, save, run (the cells' results
// streamed as NDJSON, one event per line, rows a chunk at a time, so the
// first rows show before the last are read), and export a cell's result.
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { exportCell, listNotebooks, notebookEvents, openNotebook, resolveParams, saveNotebook, type ExportFormat, MAX_NOTEBOOK_BYTES } from '../../../app/notebooks.ts';
import type { Workspace } from '../../../app/workspace.ts';
import type { ServerContext } from '../context.ts';
import { errorResponse } from '../http-errors.ts';
import { paramsSchema } from '../params.ts';

const PARAM_VALUE = { anyOf: [{ type: 'string', maxLength: 10_000 }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }] };
/** The text to run when it is not the saved file (unsaved edits), and the param values. */
const RUN_FIELDS = {
  text: { type: 'string', maxLength: MAX_NOTEBOOK_BYTES },
  params: { type: 'object', additionalProperties: PARAM_VALUE, maxProperties: 100 },
};
const RUN_BODY = { type: 'object', additionalProperties: false, properties: { ...RUN_FIELDS, cells: { type: 'array', items: { type: 'integer', minimum: 0 }, maxItems: 1000 } } };
const EXPORT_BODY = { type: 'object', additionalProperties: false, required: ['cell', 'format'], properties: { ...RUN_FIELDS, cell: { type: 'integer', minimum: 0 }, format: { enum: ['parquet', 'csv'] } } };
const SAVE_BODY = { type: 'object', additionalProperties: false, required: ['text'], properties: { text: { type: 'string', maxLength: MAX_NOTEBOOK_BYTES } } };
/** A notebook's text in JSON, with room to spare. */
const BODY_LIMIT = 3 * MAX_NOTEBOOK_BYTES;

interface RunBody {
  text?: string;
  params?: Record<string, unknown>;
  cells?: number[];
}

/** The notebook to run: the text sent (unsaved edits), else the saved file. */
async function notebookOf(workspace: Workspace, name: string, text: string | undefined) {
  if (text === undefined) return (await openNotebook(workspace, name)).notebook;
  await openNotebook(workspace, name); // the name must be a notebook of the folder all the same
  return (await import('../../../notebook/parse.ts')).parseNotebook(text);
}

const summary = (opened: Awaited<ReturnType<typeof openNotebook>>) => ({ name: opened.name, text: opened.text, title: opened.notebook.title, params: opened.notebook.params, problems: opened.notebook.problems });

export function notebookRoutes(app: FastifyInstance, context: ServerContext): void {
  const workspace = context.workspace;
  app.get('/api/notebooks', async () => ({ notebooks: await listNotebooks(workspace) }));

  app.get<{ Params: { name: string } }>('/api/notebooks/:name', { schema: { params: paramsSchema('name') } }, async (request) => summary(await openNotebook(workspace, request.params.name)));

  app.put<{ Params: { name: string }; Body: { text: string } }>('/api/notebooks/:name', { bodyLimit: BODY_LIMIT, schema: { params: paramsSchema('name'), body: SAVE_BODY } }, async (request) =>
    summary(await saveNotebook(workspace, request.params.name, request.body.text)),
  );

  app.post<{ Params: { name: string }; Body: RunBody }>('/api/notebooks/:name/run', { bodyLimit: BODY_LIMIT, schema: { params: paramsSchema('name'), body: RUN_BODY } }, async (request, reply) => {
    const notebook = await notebookOf(workspace, request.params.name, request.body.text);
    // Mistakes in the params are a 400 before anything streams.
    const values = await resolveParams(workspace, notebook, request.body.params);
    const stopped = new AbortController();
    request.raw.on('close', () => stopped.abort());
    reply.raw.on('close', () => stopped.abort());
    const events = notebookEvents(workspace, notebook, values, { cells: request.body.cells, signal: stopped.signal });
    async function* lines() {
      yield `${JSON.stringify({ type: 'params', values })}\n`;
      try {
        // Rows of one chunk go out as one line; a line is written once the consumer takes it (backpressure).
        for await (const event of events) yield `${JSON.stringify(event)}\n`;
      } catch (error) {
        const { body, bug } = errorResponse(error);
        if (bug) request.log.error({ err: error }, 'notebook run failed');
        yield `${JSON.stringify({ type: 'error', ...body.error })}\n`;
      }
    }
    return reply.type('application/x-ndjson; charset=utf-8').header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').send(Readable.from(lines()));
  });

  app.post<{ Params: { name: string }; Body: RunBody & { cell: number; format: ExportFormat } }>(
    '/api/notebooks/:name/export',
    { bodyLimit: BODY_LIMIT, schema: { params: paramsSchema('name'), body: EXPORT_BODY } },
    async (request, reply) => {
      const notebook = await notebookOf(workspace, request.params.name, request.body.text);
      const values = await resolveParams(workspace, notebook, request.body.params);
      const { format, cell } = request.body;
      const scratch = mkdtempSync(join(tmpdir(), 'mnemo-notebook-export-'));
      const path = join(scratch, `export.${format}`);
      try {
        await exportCell(workspace, notebook, values, cell, format, path);
      } catch (error) {
        rmSync(scratch, { recursive: true, force: true });
        throw error;
      }
      const { sqlCells } = await import('../../../notebook/parse.ts');
      const file = `${request.params.name.replace(/\.md$/, '')}-${sqlCells(notebook)[cell]!.id}.${format}`;
      const stream = createReadStream(path);
      stream.on('close', () => rmSync(scratch, { recursive: true, force: true }));
      return reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.apache.parquet')
        .header('content-disposition', `attachment; filename="${file.replace(/[^A-Za-z0-9._-]/g, '_')}"`)
        .header('cache-control', 'no-store')
        .send(stream);
    },
  );
}
