// The client of the notebook routes (docs/API.md, "Notebooks"): list, open,
// save, run (NDJSON read as it arrives: each line one event, rows a chunk at
// a time) and export a cell's result as a download.
import type { NotebookListItem, ParamSpec, Problem } from '../../notebook/parse.ts';
import type { WireEvent } from '../../notebook/result.ts';
import { ApiError } from './api.ts';

export type { NotebookListItem };

export interface NotebookFile {
  name: string;
  text: string;
  title: string | null;
  params: ParamSpec[];
  problems: Problem[];
}

/** What a run streams: the values it ran with first, then notebook/run.ts's events, or an error that stopped it. */
export type RunLine = WireEvent | { type: 'params'; values: Record<string, unknown> } | { type: 'error'; kind: string; message: string };

export interface RunRequest {
  text?: string;
  params?: Record<string, unknown>;
  cells?: number[];
}

const path = (name: string) => `/api/notebooks/${encodeURIComponent(name)}`;

async function send(method: string, url: string, body?: unknown): Promise<Response> {
  const response = await fetch(url, {
    method,
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json', 'x-mnemo': '1' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    const error = ((await response.json().catch(() => null)) as { error?: { kind?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, error?.kind ?? 'http', error?.message ?? `${method} ${url}: HTTP ${response.status}`);
  }
  return response;
}

export const notebooksApi = {
  list: async () => ((await (await send('GET', '/api/notebooks')).json()) as { notebooks: NotebookListItem[] }).notebooks,
  open: async (name: string) => (await (await send('GET', path(name))).json()) as NotebookFile,
  save: async (name: string, text: string) => (await (await send('PUT', path(name), { text })).json()) as NotebookFile,

  /** Runs the notebook and calls `onLine` for each line as it arrives; resolves when the stream ends. */
  async run(name: string, request: RunRequest, onLine: (line: RunLine) => void, signal?: AbortSignal): Promise<void> {
    const response = await fetch(`${path(name)}/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mnemo': '1' },
      body: JSON.stringify(request),
      signal,
    });
    if (!response.ok || !response.body) {
      const error = ((await response.json().catch(() => null)) as { error?: { kind?: string; message?: string } } | null)?.error;
      throw new ApiError(response.status, error?.kind ?? 'http', error?.message ?? `run: HTTP ${response.status}`);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (line) onLine(JSON.parse(line) as RunLine);
      }
    }
  },

  /** Downloads a cell's result (Parquet or CSV) through a temporary link. */
  async export(name: string, request: RunRequest & { cell: number; format: 'parquet' | 'csv' }): Promise<void> {
    const response = await send('POST', `${path(name)}/export`, request);
    const file = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? `export.${request.format}`;
    const url = URL.createObjectURL(await response.blob());
    const link = Object.assign(document.createElement('a'), { href: url, download: file });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  },
};
