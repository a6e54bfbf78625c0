// Decision-to-re-match benchmark: the workbench server over a store of
// 50,000 synthetic faces (bench/lib/synthetic-faces-node.ts; the real
// cluster and assign nodes through the real engine). A person names one face
// of an unnamed cluster (POST /api/people/split). Two times: until the
// person's page (GET /api/people/:id/faces) shows the rest of the cluster on
// them (the decision applied to the latest run at once, app/pending-decisions.ts),
// and until the server's background re-match (debounced, as in `mnemo serve`;
// cluster and assign re-run) has confirmed it, with the re-run's nodes. The bench swaps in a registry with its synthetic node; the
// rest is the server as users run it.
//
//   npm run bench -- rematch [FACES]     (default 50000)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runToEnd } from '../app/pipeline.ts';
import { Workspace } from '../app/workspace.ts';
import type { NodeType } from '../dag/node-type.ts';
import { assign } from '../nodes/assign.ts';
import { cluster } from '../nodes/cluster.ts';
import { serve } from '../workbench/server/server.ts';
import { syntheticFacesNode } from './lib/synthetic-faces-node.ts';

const FACES = Number(process.argv[2] ?? 50_000);
const DECISIONS = 3;
const seconds = (ms: number) => (ms / 1000).toFixed(2);

async function main(): Promise<void> {
  console.log(`re-match bench: ${FACES} synthetic faces, ${os.cpus().length} CPU cores, node ${process.version}`);
  const dir = mkdtempSync(join(os.tmpdir(), 'mnemo-bench-rematch-'));
  const config = join(dir, 'mnemo.yaml');
  writeFileSync(config, `data: ./data\nsources: []\nnodes:\n  synthetic_faces:\n    params: {n: ${FACES}}\n  cluster:\n  assign:\n`);
  const workspace = await Workspace.open({ config });
  const registry = new Map<string, NodeType>(([syntheticFacesNode, cluster, assign] as NodeType[]).map((node) => [node.name, node]));
  workspace.registry = async () => registry;
  let t = performance.now();
  const first = await runToEnd(workspace);
  if (first.status !== 'succeeded') throw new Error(first.message ?? 'the first run failed');
  console.log(`first run (faces, kNN graph, clusters, assignment): ${seconds(performance.now() - t)} s`);

  const server = await serve(workspace, { port: 0, logger: false });
  const url = (path: string) => new URL(path, server.url).href;
  const json = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(url(path), init);
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  try {
    const clusters = (await json<{ clusters: { clusterId: number; faces: number }[] }>('/api/clusters?unnamed=true')).clusters.filter((c) => c.clusterId >= 0 && c.faces >= 5);
    if (clusters.length === 0) throw new Error('no unnamed cluster of 5 faces or more');
    for (let d = 0; d < DECISIONS; d++) {
      const target = clusters[(d * 7) % clusters.length]!; // clusters of different sizes
      const [face] = (await json<{ items: { faceId: string }[] }>(`/api/clusters/${target.clusterId}/faces?limit=1`)).items;
      const runsBefore = (await json<{ runs: { runId: number }[] }>('/api/runs')).runs.length;
      t = performance.now();
      const { personId } = await json<{ personId: number }>('/api/people/split', {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-mnemo': '1' }, body: JSON.stringify({ faceIds: [face!.faceId], name: `Person ${d + 1}` }),
      });
      const decidedMs = performance.now() - t;
      let shown = 0;
      while (shown < target.faces) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        shown = (await json<{ total: number }>(`/api/people/${personId}/faces?limit=1`)).total;
        if (performance.now() - t > 120_000) throw new Error('no re-match within 2 minutes');
      }
      const visibleMs = performance.now() - t;
      // Then the re-run lands: the page's faces are the run's own (none pending).
      for (;;) {
        const page = await json<{ items: { pending?: boolean }[] }>(`/api/people/${personId}/faces?limit=1000`);
        if (!page.items.some((face) => face.pending)) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (performance.now() - t > 600_000) throw new Error('no re-run within 10 minutes');
      }
      const confirmedMs = performance.now() - t;
      const runs = (await json<{ runs: { runId: number; seconds: number | null }[] }>('/api/runs')).runs;
      const rerun = runs.length > runsBefore ? runs.reduce((a, b) => (b.runId > a.runId ? b : a)) : undefined;
      const nodes = rerun ? (await json<{ nodes: { node: string; status: string; seconds: number | null; metadata: Record<string, unknown> }[] }>(`/api/runs/${rerun.runId}`)).nodes : [];
      const parts = nodes.filter((node) => node.status === 'done').map((node) => {
        const inner = ['graphMs', 'clusterMs'].filter((key) => typeof node.metadata[key] === 'number').map((key) => `${key.slice(0, -2)} ${seconds(node.metadata[key] as number)} s`);
        return `${node.node} ${node.seconds?.toFixed(2)} s${inner.length ? ` (${inner.join(', ')})` : ''}`;
      });
      console.log(
        `decision ${d + 1}: a face of a ${target.faces}-face cluster named; the ${shown} faces on the person's page after ${seconds(visibleMs)} s (target < 5 s: ${visibleMs < 5000 ? 'met' : 'MISSED'}); ` +
          `decision stored in ${decidedMs.toFixed(0)} ms; confirmed by the re-run after ${seconds(confirmedMs)} s (debounce 1.5 s, re-run ${rerun?.seconds?.toFixed(2) ?? '?'} s)\n  re-run nodes: ${parts.join('; ')}`,
      );
      await server.context.runs.idle();
    }
  } finally {
    await server.app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
