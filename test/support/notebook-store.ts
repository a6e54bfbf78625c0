// A data folder with two finished runs for the notebook suites: real Parquet
// tables (files, exif, faces, pets, clusters, person_assignment) and the
// assign node's metadata, with different numbers in each run, and no photos
// or models (fast).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { scratchConnection } from '../../datasets/parquet.ts';
import { quoteString } from '../../datasets/schema.ts';
import { Store } from '../../datasets/store.ts';

export interface NotebookStore {
  store: Store;
  runIds: [number, number];
  /** Faces per run (face i is in cluster i % clusters; every 4th face is a stranger). */
  faces: [number, number];
}

const SHAPES = [
  { faces: 40, clusters: 4 },
  { faces: 90, clusters: 7 },
];

/** Two runs in `dataDir` (created). */
export async function notebookStore(dataDir: string): Promise<NotebookStore> {
  const store = new Store(dataDir);
  const runIds: number[] = [];
  for (const { faces, clusters } of SHAPES) {
    const runId = await store.startRun({ nodes: ['scan', 'exif', 'images', 'cluster', 'assign'] }, null);
    const photos = faces / 2;
    const tables: [string, string, string][] = [
      // Photos two a month from January 2020; every third has a cat.
      ['scan', 'files', `SELECT printf('file%03d', range) AS file_id, printf('p%03d.jpg', range) AS path, 'active' AS status, TIMESTAMP '2024-01-01' AS mtime FROM range(${photos})`],
      ['exif', 'exif', `SELECT printf('file%03d', range) AS file_id, strftime(TIMESTAMP '2020-01-01 10:00:00' + INTERVAL (range // 2) MONTH, '%Y-%m-%dT%H:%M:%S') AS taken_at, NULL::TIMESTAMP AS taken_at_utc FROM range(${photos})`],
      ['images', 'pets', `SELECT printf('file%03d', range) AS file_id, 'cat' AS label, 0.9 AS score FROM range(${photos}) WHERE range % 3 = 0`],
      ['images', 'faces', `SELECT printf('f%04d', range) AS face_id, printf('file%03d', range // 2) AS file_id, range % 10 = 9 AS rejected FROM range(${faces})`],
      ['cluster', 'clusters', `SELECT printf('f%04d', range) AS face_id, (range % ${clusters})::INTEGER AS cluster_id FROM range(${faces})`],
      ['assign', 'person_assignment', `SELECT printf('f%04d', range) AS face_id, CASE WHEN range % 4 = 0 THEN NULL ELSE (range % ${clusters})::INTEGER + 1 END AS person_id, range % 4 = 0 AS stranger FROM range(${faces})`],
    ];
    const outputs = new Map<string, Record<string, string>>();
    for (const [node, table, sql] of tables) {
      const path = store.tablePath(runId, node, table);
      mkdirSync(dirname(path), { recursive: true });
      const connection = await scratchConnection();
      try {
        await connection.run(`COPY (${sql}) TO ${quoteString(path)} (FORMAT parquet)`);
      } finally {
        connection.closeSync();
      }
      outputs.set(node, { ...outputs.get(node), [table]: store.relative(path) });
    }
    for (const [node, tablesOfNode] of outputs) {
      const now = Date.now();
      const strangers = Math.ceil(faces / 4);
      const metadata = node === 'assign' ? { faces, strangers, assigned: faces - strangers, strangersShare: strangers / faces } : {};
      await store.completeNode(runId, {
        node, type: node, version: '1', status: 'done', fingerprint: `${node}${runId}`, reusedFrom: null, startedAt: now, finishedAt: now,
        rowsWritten: faces, outputs: tablesOfNode, metadata, message: null,
      }, []);
    }
    await store.finishRun(runId, 'succeeded', null);
    runIds.push(runId);
  }
  return { store, runIds: runIds as [number, number], faces: [SHAPES[0]!.faces, SHAPES[1]!.faces] };
}

/** A notebook using both runs' numbers, a param, a cell using an earlier cell, and a chart. */
export const COUNTS_NOTEBOOK = `---
title: Counts
params:
  run: { type: run, default: latest }
  min_faces: { type: number, default: 1 }
---

# Counts

\`\`\`sql id=per_cluster
SELECT cluster_id, count(*) AS faces
FROM run.clusters
GROUP BY cluster_id
HAVING count(*) >= $min_faces
ORDER BY cluster_id
\`\`\`

\`\`\`sql id=total
SELECT sum(faces)::INTEGER AS faces, count(*)::INTEGER AS clusters, $run AS run_id FROM per_cluster
\`\`\`

\`\`\`chart
{ "cell": "per_cluster", "mark": "barY", "x": "cluster_id", "y": "faces" }
\`\`\`
`;

