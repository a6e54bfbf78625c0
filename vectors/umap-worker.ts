// Worker-thread entry for the umap node: the layout loop is synchronous and
// would freeze the main thread (about a minute for 100k faces).
import { parentPort, workerData } from 'node:worker_threads';
import type { OneShotMessage } from '../dag/worker-pool.ts';
import type { KnnGraph } from './knn-graph.ts';
import { umapLayout, type UmapOptions } from './umap-fast.ts';

export interface UmapWorkerInput {
  graph: KnnGraph;
  options: Omit<UmapOptions, 'onEpoch' | 'initial'>;
}

export interface UmapWorkerProgress {
  epoch: number;
  nEpochs: number;
}

export type UmapWorkerMessage = OneShotMessage<UmapWorkerProgress, { layout: Float32Array }>;

function post(message: UmapWorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(message, transfer);
}

try {
  const { graph, options } = workerData as UmapWorkerInput;
  const layout = umapLayout(graph, {
    ...options,
    onEpoch: (epoch, nEpochs) => {
      if (epoch % 10 === 0 || epoch === nEpochs) post({ type: 'progress', epoch, nEpochs });
    },
  });
  post({ type: 'done', layout }, [layout.buffer as ArrayBuffer]);
} catch (error) {
  post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
}
