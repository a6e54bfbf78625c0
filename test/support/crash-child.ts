// Child process for the crash-safety test: runs scan -> hash -> twostep, where
// twostep writes its first table and then, while a block file exists, says
// HALF and waits to be killed with SIGKILL.
import { existsSync } from 'node:fs';

import { z } from 'zod';
import { runPipeline } from '../../dag/executor.ts';
import { linePrinter } from '../../dag/progress.ts';
import { defineNode, type NodeType } from '../../dag/node-type.ts';
import { loadSpecFile } from '../../dag/spec.ts';
import { parquetSource, queryRows } from '../../datasets/parquet.ts';
import { Store } from '../../datasets/store.ts';
import { NODE_TYPES } from '../../nodes/index.ts';

export const twostep = defineNode({
  name: 'twostep',
  version: '1',
  description: 'two output tables with a pause between them',
  params: z.object({ blockFile: z.string() }).strict(),
  inputs: ['hashes'],
  outputs: {
    sizes: { description: 'sizes', columns: { file_id: 'VARCHAR', size: 'BIGINT' } },
    summary: { description: 'summary', columns: { files: 'BIGINT', bytes: 'BIGINT' } },
  },
  async run(ctx) {
    const rows = await queryRows<{ file_id: string; size: number }>(`SELECT file_id, size FROM ${parquetSource(ctx.inputs.hashes!)} ORDER BY file_id`);
    await ctx.writeTable('sizes', rows);
    if (existsSync(ctx.params.blockFile)) {
      process.stdout.write('HALF\n');
      await new Promise(() => {}); // wait for SIGKILL
    }
    await ctx.writeTable('summary', [{ files: rows.length, bytes: rows.reduce((sum, row) => sum + Number(row.size), 0) }]);
  },
});

export const crashRegistry = new Map<string, NodeType>([...NODE_TYPES, ['twostep', twostep as NodeType]]);

if (process.argv[1]?.endsWith('crash-child.ts')) {
  const config = process.argv[2]!;
  const spec = loadSpecFile(config, crashRegistry);
  await runPipeline(spec, crashRegistry, new Store(spec.dataDir), {
    onEvent: linePrinter((line) => process.stdout.write(`${line}\n`)),
  });
}
