// Histograms of one or two runs on shared bins, binned in SQL so a report
// over 100,000 faces moves a few dozen numbers, not 100,000 values.
import { parquetSource, queryRows } from '../datasets/parquet.ts';
import type { Distribution } from './report-schema.ts';
import type { RunTable } from './run-facts.ts';

type Tables = Record<string, RunTable>;

interface Measure {
  key: Distribution['key'];
  title: string;
  /** Whole numbers get whole-number bins. */
  integer: boolean;
  /** A query giving one column `v`, or null when the run lacks the tables it needs. */
  values(tables: Tables): string | null;
}

const source = (tables: Tables, table: string) => (tables[table] ? parquetSource(tables[table]!.path) : null);
const ACCEPTED = 'NOT coalesce(rejected, false)';

const MEASURES: Measure[] = [
  {
    key: 'faces_per_photo',
    title: 'accepted faces per photo',
    integer: true,
    values(tables) {
      const faces = source(tables, 'faces');
      const images = source(tables, 'images');
      if (!faces) return null;
      // With the images table, photos without faces count as 0; without it, only photos with a face are known.
      return images
        ? `SELECT count(f.face_id) AS v FROM ${images} i LEFT JOIN (SELECT file_id, face_id FROM ${faces} WHERE ${ACCEPTED}) f USING (file_id) GROUP BY i.file_id`
        : `SELECT count(*) AS v FROM ${faces} WHERE ${ACCEPTED} GROUP BY file_id`;
    },
  },
  {
    key: 'cluster_sizes',
    title: 'faces per cluster',
    integer: true,
    values: (tables) => (source(tables, 'clusters') ? `SELECT count(*) AS v FROM ${source(tables, 'clusters')} WHERE cluster_id >= 0 GROUP BY cluster_id` : null),
  },
  {
    key: 'face_quality',
    title: 'face quality (every detected face)',
    integer: false,
    values: (tables) => (source(tables, 'faces') ? `SELECT quality AS v FROM ${source(tables, 'faces')} WHERE quality IS NOT NULL` : null),
  },
  {
    key: 'detection_scores',
    title: 'face detection score',
    integer: false,
    values: (tables) => (source(tables, 'faces') ? `SELECT det_score AS v FROM ${source(tables, 'faces')} WHERE det_score IS NOT NULL` : null),
  },
  {
    key: 'pet_scores',
    title: 'pet detection score',
    integer: false,
    values: (tables) => (source(tables, 'pets') ? `SELECT score AS v FROM ${source(tables, 'pets')} WHERE score IS NOT NULL` : null),
  },
];

const CONTINUOUS_BINS = 25;
const MAX_INTEGER_BINS = 30;

/** Every measure for the runs given (one or two), skipping measures no run has data for. */
export async function distributionsOf(runs: { runId: number; tables: Tables }[]): Promise<Distribution[]> {
  const result: Distribution[] = [];
  for (const measure of MEASURES) {
    const queries = runs.map((run) => measure.values(run.tables));
    const parts = queries.flatMap((sql, index) => (sql ? [`SELECT ${index} AS run, v::DOUBLE AS v FROM (${sql})`] : []));
    if (parts.length === 0) continue;
    const values = `(${parts.join(' UNION ALL ')})`;
    const stats = await queryRows<{ run: number; n: number; mean: number; median: number; min: number; max: number }>(
      `SELECT run, count(*) AS n, avg(v) AS mean, median(v) AS median, min(v) AS min, max(v) AS max FROM ${values} GROUP BY run`,
    );
    if (stats.length === 0) continue;
    const low = Math.min(...stats.map((s) => s.min));
    const high = Math.max(...stats.map((s) => s.max));
    const { start, width, count } = binning(low, high, measure.integer);
    const counted = await queryRows<{ run: number; bin: number; n: number }>(
      `SELECT run, least(greatest(floor((v - ${start}) / ${width}), 0), ${count - 1})::INTEGER AS bin, count(*) AS n FROM ${values} GROUP BY ALL`,
    );
    result.push({
      key: measure.key,
      title: measure.title,
      bins: Array.from({ length: count }, (_, i) => ({ x0: start + i * width, x1: start + (i + 1) * width })),
      runs: runs.map((run, index) => {
        const s = stats.find((row) => row.run === index);
        const counts = new Array<number>(count).fill(0);
        for (const row of counted) if (row.run === index) counts[row.bin] = Number(row.n);
        return { runId: run.runId, counts, n: Number(s?.n ?? 0), mean: s?.mean ?? null, median: s?.median ?? null, min: s?.min ?? null, max: s?.max ?? null };
      }),
    });
  }
  return result;
}

/** Bin edges: whole-number bins (widened to at most 30) or 25 equal bins over the range. */
export function binning(low: number, high: number, integer: boolean): { start: number; width: number; count: number } {
  if (integer) {
    const start = Math.floor(low);
    const span = Math.floor(high) - start + 1;
    const width = Math.max(1, Math.ceil(span / MAX_INTEGER_BINS));
    return { start, width, count: Math.ceil(span / width) };
  }
  if (high <= low) return { start: low, width: 1, count: 1 };
  return { start: low, width: (high - low) / CONTINUOUS_BINS, count: CONTINUOUS_BINS };
}
