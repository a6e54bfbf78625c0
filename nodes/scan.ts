import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineNode } from '../dag/node-type.ts';
import { quoteString } from '../datasets/schema.ts';
import { walkSources, type WalkResult } from './lib/walk.ts';

/** Stable across runs: the same (source, path) always gets the same id. */
export function fileIdFor(source: string, path: string): string {
  return createHash('sha256').update(`${source}\0${path}`).digest('hex').slice(0, 16);
}

export const scan = defineNode({
  name: 'scan',
  version: '1',
  description: 'Walks the sources and lists every file their include/exclude rules select (no contents read).',
  params: z.object({}).strict(),
  inputs: [],
  outputs: {
    files: {
      description: 'The files this run saw; file_id is stable across runs and every later table joins on it.',
      columns: { file_id: 'VARCHAR', source: 'VARCHAR', path: 'VARCHAR', name: 'VARCHAR', extension: 'VARCHAR', size: 'BIGINT', mtime: 'TIMESTAMP', tags: 'VARCHAR[]' },
    },
  },
  // The walk is the input: it decides whether the earlier scan can be reused.
  async inputFingerprint(ctx) {
    const walk = walkSources(ctx.sources, () => ctx.progress.advance());
    const hash = createHash('sha256');
    hash.update(JSON.stringify(ctx.sources));
    for (const file of walk.files) hash.update(`${file.source}\0${file.path}\0${file.size}\0${file.mtimeMs}\n`);
    for (const problem of walk.problems) hash.update(`${problem.item}\0${problem.message}\n`);
    return { fingerprint: hash.digest('hex'), prepared: walk };
  },
  async run(ctx) {
    const walk = ctx.prepared as WalkResult;
    for (const problem of walk.problems) ctx.itemError(problem.item, problem.message);
    const tagsBySource = new Map(ctx.sources.map((source) => [source.name, source.tags]));
    ctx.progress.total(walk.files.length);
    const rows = walk.files.map((file) => {
      const name = file.path.slice(file.path.lastIndexOf('/') + 1);
      const dot = name.lastIndexOf('.');
      return {
        file_id: fileIdFor(file.source, file.path),
        source: file.source,
        path: file.path,
        name,
        extension: dot > 0 ? name.slice(dot + 1).toLowerCase() : '',
        size: file.size,
        mtime: file.mtimeMs,
        tags: tagsBySource.get(file.source) ?? [],
      };
    });
    await ctx.writeTable('files', rows);
    const scanned = ctx.sources.map((s) => s.name).filter((name) => !walk.unavailableSources.includes(name));
    // The durable file registry: first/last seen, and files gone from a readable source become 'deleted'.
    ctx.onCommit(async (connection, outputs) => {
      const files = `read_parquet(${quoteString(outputs.files!)})`;
      await connection.run(
        `INSERT INTO file_registry SELECT file_id, source, path, size, mtime, 'active', $1, $1, NULL FROM ${files}
         ON CONFLICT (file_id) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, status = 'active', last_seen_run = excluded.last_seen_run, deleted_at = NULL`,
        [ctx.runId],
      );
      if (scanned.length > 0) {
        await connection.run(
          `UPDATE file_registry SET status = 'deleted', deleted_at = now()
           WHERE status = 'active' AND source IN (${scanned.map(quoteString).join(', ')}) AND file_id NOT IN (SELECT file_id FROM ${files})`,
        );
      }
    });
    return { files: rows.length, problems: walk.problems.length, unavailableSources: walk.unavailableSources };
  },
});
