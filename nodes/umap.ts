// A 2-D map of the accepted faces for browsing: UMAP on the faces' kNN graph
// (the cluster node's cached graph when the graph parameters match, which
// they do by default). Same faces + same parameters + same seed = the same
// map. Human decisions are not an input: labelling never moves the map.
import { z } from 'zod';
import { defineNode } from '../dag/node-type.ts';
import { cachedKnnGraph, knnGraphCacheDir, knnGraphKey, knnGraphParams, readFaceVectors, type KnnGraphKey } from '../vectors/face-vectors.ts';
import { truncateKnnGraph, type KnnGraph } from '../vectors/knn-graph.ts';
import type { UmapOptions } from '../vectors/umap-fast.ts';
import { runInWorker } from '../dag/worker-pool.ts';
import type { UmapWorkerInput, UmapWorkerProgress } from '../vectors/umap-worker.ts';

const params = z.object({
  seed: z.number().int().default(42),
  /** Default as umap-learn: 500 up to 10,000 faces, 200 above. */
  nEpochs: z.number().int().min(1).max(5000).optional(),
  minDist: z.number().min(0).max(10).default(0.1),
  nNeighbors: z.number().int().min(2).max(200).default(15),
  /** The kNN graph: the same defaults as the cluster node, so both use one cached graph (k >= nNeighbors is checked in run). */
  ...knnGraphParams.shape,
}).strict();

export const umap = defineNode({
  name: 'umap',
  version: '1',
  description: 'A seeded 2-D UMAP layout of the accepted faces (one row per face_id), on their cached kNN graph.',
  params,
  // The graph cache's key (settings and KNN_GRAPH_VERSION) is part of the fingerprint.
  cacheKeys: (p) => ({ knnGraph: knnGraphKey(p) }),
  inputs: ['faces'],
  outputs: {
    umap: { description: '2-D position of each accepted face.', columns: { face_id: 'VARCHAR', x: 'DOUBLE', y: 'DOUBLE' } },
  },
  async run(ctx) {
    const p = ctx.params;
    if (p.nNeighbors > p.k) throw new Error(`nNeighbors ${p.nNeighbors} needs k >= ${p.nNeighbors} (k is ${p.k})`);
    const faces = await readFaceVectors(ctx.inputs.faces!);
    const started = Date.now();
    const { graph, reused } = await cachedKnnGraph(knnGraphCacheDir(ctx.cacheDir), faces, ctx.cacheKeys.knnGraph as KnnGraphKey, { signal: ctx.signal });
    const graphMs = Date.now() - started;
    const nEpochs = p.nEpochs ?? (faces.n <= 10_000 ? 500 : 200);
    ctx.progress.total(nEpochs);
    const layout = await umapInWorker(truncateKnnGraph(graph, p.nNeighbors), { seed: p.seed, nEpochs, minDist: p.minDist, nNeighbors: p.nNeighbors }, {
      signal: ctx.signal,
      onEpoch: (() => {
        let reported = 0;
        return (epoch: number) => {
          ctx.progress.advance(epoch - reported);
          reported = epoch;
        };
      })(),
    });
    await ctx.writeTable('umap', (function* () {
      for (let i = 0; i < faces.n; i++) yield { face_id: faces.ids[i], x: layout[2 * i], y: layout[2 * i + 1] };
    })());
    return { faces: faces.n, nEpochs, graph: reused ? 'reused' : 'built', graphMs, layoutMs: Date.now() - started - graphMs };
  },
});

/** Runs umapLayout in a worker thread; aborting terminates it. */
export async function umapInWorker(graph: KnnGraph, options: UmapWorkerInput['options'], control: { signal?: AbortSignal; onEpoch?: NonNullable<UmapOptions['onEpoch']> } = {}): Promise<Float32Array> {
  const input: UmapWorkerInput = { graph, options };
  const result = await runInWorker<UmapWorkerProgress, { layout: Float32Array }>(new URL('../vectors/umap-worker.ts', import.meta.url), input, {
    label: 'UMAP worker',
    signal: control.signal,
    onProgress: (progress) => control.onEpoch?.(progress.epoch, progress.nEpochs),
  });
  return result.layout;
}
