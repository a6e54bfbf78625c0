// Sweep benchmark: 12 clustering settings over synthetic faces through the
// real engine. A bench-only node writes the faces table (Parquet, FLOAT[512],
// the columns cluster and assign read; bench/lib/synthetic-faces-node.ts);
// the real cluster and assign nodes run once per setting via runSweep, with
// the kNN graph from the on-disk cache, simulated manual labels in the journal
// and the true identities imported as gold.
//
//   node --import tsx bench/sweep.ts                 # 50,000 faces, 12 settings
//   N=5000 node --import tsx bench/sweep.ts          # smaller, while developing
//   LABELS=100 ...                                   # people given one manual label (the largest first)
//   AXES="cluster.method=average cluster.threshold=0.5:0.75:0.05" ...   # other settings
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../dag/executor.ts';
import type { NodeType } from '../dag/node-type.ts';
import { parseSpec } from '../dag/spec.ts';
import { importFacesGold } from '../datasets/gold.ts';
import { Persons } from '../datasets/persons.ts';
import { runNodes } from '../datasets/run-registry.ts';
import { Store } from '../datasets/store.ts';
import { assign } from '../nodes/assign.ts';
import { cluster } from '../nodes/cluster.ts';
import type { SyntheticEmbeddings } from '../test/support/synthetic-embeddings.ts';
import { syntheticFaceId, syntheticFaces, syntheticFacesNode } from './lib/synthetic-faces-node.ts';
import { parseSweepAxis, runSweep } from '../app/sweeps.ts';
import { formatSweep } from '../bin/format.ts';

const n = Number(process.env.N ?? 50_000);
const labels = Number(process.env.LABELS ?? 100);
const axes = (process.env.AXES ?? 'cluster.eps=0.4:0.65:0.05 cluster.minPts=2,3').split(/\s+/).map(parseSweepAxis);
const seconds = (ms: number) => (ms / 1000).toFixed(1);
const peakRssMb = () => (process.resourceUsage().maxRSS / 1024).toFixed(0); // maxRSS is in KiB

const synthetic = (): SyntheticEmbeddings => syntheticFaces(n);
const faceId = syntheticFaceId;

async function main(): Promise<void> {
  console.log(`Sweep bench: ${n} synthetic faces, ${labels} people labelled once, ${os.cpus().length} CPU cores (shared with other work: figures vary), node ${process.version}`);
  const registry = new Map<string, NodeType>(([syntheticFacesNode, cluster, assign] as NodeType[]).map((node) => [node.name, node]));
  const dir = mkdtempSync(join(os.tmpdir(), 'mnemo-sweep-bench-'));
  try {
    const yaml = `data: ./data\nsources: []\nnodes:\n  synthetic_faces:\n    params: {n: ${n}}\n  cluster:\n  assign:\n`;
    const loadSpec = (overrides: string[]) => parseSpec(yaml, join(dir, 'mnemo.yaml'), registry, { overrides });
    const store = new Store(join(dir, 'data'));

    let t = performance.now();
    const faces = synthetic();
    console.log(`synthetic faces: ${seconds(performance.now() - t)} s; ${faces.personCount} people, ${faces.photos.length} group photos`);

    // A user who named the largest people, one face each, and gold = the true identities.
    t = performance.now();
    const persons = await Persons.open(store, { author: 'bench' });
    const sizes = new Map<number, number[]>();
    for (let i = 0; i < faces.n; i++) sizes.set(faces.labels[i]!, [...(sizes.get(faces.labels[i]!) ?? []), i]);
    const largest = [...sizes.entries()].sort((a, b) => b[1].length - a[1].length).slice(0, labels);
    for (const [label, members] of largest) {
      const { personId } = await persons.create(`person ${label}`);
      await persons.assign([faceId(members[0]!)], String(personId), { source: 'import' });
    }
    const gold = join(dir, 'gold.csv');
    writeFileSync(gold, `face_id,person_name,is_face\n${Array.from({ length: faces.n }, (_, i) => `${faceId(i)},${faces.isStranger[i] ? '' : `p${faces.labels[i]}`},true`).join('\n')}\n`);
    const imported = await importFacesGold(store, gold);
    console.log(`labels and gold: ${seconds(performance.now() - t)} s (${largest.length} persons; ${imported.rows} gold rows imported from CSV)`);

    t = performance.now();
    const first = await runPipeline(loadSpec([]), registry, store, { tags: { bench: 'sweep' } });
    if (first.status !== 'succeeded') throw new Error(first.message ?? 'first run failed');
    const clusterNode = first.nodes.find((node) => node.node === 'cluster')!;
    console.log(
      `first run (writes the faces table, builds and caches the kNN graph): ${seconds(performance.now() - t)} s; ` +
        `graph ${seconds(Number(clusterNode.metadata.graphMs))} s, clustering ${seconds(Number(clusterNode.metadata.clusterMs))} s; peak RSS ${peakRssMb()} MB`,
    );

    t = performance.now();
    let last = t;
    const result = await runSweep({
      loadSpec, registry, store, axes,
      onSetting: (index, total, setting, row) => {
        const now = performance.now();
        console.log(`  [${index + 1}/${total}] ${setting}: ${seconds(now - last)} s (run, metrics), run ${row.runId} ${row.status}`);
        last = now;
      },
    });
    const sweepMs = performance.now() - t;
    console.log(`\n${formatSweep(result)}`);
    const sweepNodes = await store.read(async (catalog) => (await Promise.all(result.rows.map((row) => runNodes(catalog, row.runId)))).flat());
    const nodeSeconds = async (node: string) => seconds(sweepNodes.filter((row) => row.node === node && row.status === 'done').reduce((sum, row) => sum + Number(row.seconds ?? 0) * 1000, 0));
    console.log(
      `\nsweep of ${result.rows.length} settings: ${seconds(sweepMs)} s (cluster nodes ${await nodeSeconds('cluster')} s, assign nodes ${await nodeSeconds('assign')} s, the rest is runs, catalog and metrics); ` +
        `with the first run ${seconds(sweepMs + clusterNode.durationMs)} s (target < 120 s for 50k); process peak RSS ${peakRssMb()} MB`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
