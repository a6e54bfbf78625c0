// Runs a pipeline spec (YAML text) in `root` against the real node types and
// returns its summary with the wall-clock seconds; a failed run throws.
import { join } from 'node:path';
import { runPipeline, type RunOptions, type RunSummary } from '../../dag/executor.ts';
import { parseSpec } from '../../dag/spec.ts';
import type { Store } from '../../datasets/store.ts';
import { NODE_TYPES } from '../../nodes/index.ts';

export async function timedRun(yaml: string, root: string, store: Store, options: RunOptions = {}): Promise<[RunSummary, number]> {
  const t0 = performance.now();
  const summary = await runPipeline(parseSpec(yaml, join(root, 'mnemo.yaml'), NODE_TYPES), NODE_TYPES, store, options);
  if (summary.status !== 'succeeded') throw new Error(summary.message ?? 'failed');
  return [summary, (performance.now() - t0) / 1000];
}
