// The scratch DuckDB under concurrent use: nodes run side by side and each
// reads and writes Parquet through it at the same time.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { parquetSource, queryRows, writeParquet, writeParquetColumns } from '../datasets/parquet.ts';
import { tempDir } from './helpers.ts';

test('parallel queries and writes on the scratch DuckDB all succeed with their own results', async () => {
  const dir = tempDir();
  const jobs = Array.from({ length: 24 }, async (_, i) => {
    const path = join(dir, `t${i}.parquet`);
    if (i % 2 === 0) await writeParquet(path, { description: '', columns: { n: 'INTEGER' } }, Array.from({ length: 1000 }, (_, n) => ({ n: n + i })));
    else await writeParquetColumns(path, { description: '', columns: { n: 'INTEGER', e: 'FLOAT[4]' } }, { n: Array.from({ length: 1000 }, (_, n) => n + i), e: new Float32Array(4000).fill(i) }, 1000);
    const [row] = await queryRows<{ total: number }>(`SELECT sum(n) + (SELECT count(*) FROM range(200000)) - 200000 AS total FROM ${parquetSource(path)}`);
    return row!.total;
  });
  const totals = await Promise.all(jobs);
  totals.forEach((total, i) => assert.equal(total, 499500 + 1000 * i));
});
