// Groups the accepted faces into clusters of one person each, on the faces'
// kNN graph (cached on disk, so a parameter sweep builds it once), honouring
// what the photos and the humans say: faces of one photo never share a
// cluster, faces put on different persons (or 'not:<person>' against a
// person's face) never do, faces put on one person always do, and faces
// marked 'not_a_face' take no part.
//
// Defaults (issue #18): average linkage at a mean cosine distance of 0.60,
// chosen on the LFW development set with bench/quality.ts (figures and
// reasons at the top of vectors/clustering.ts): the best pairwise F1 (0.985)
// that keeps people seen once alone, with 1.0% of the faces of people seen
// three times or more left as strangers (DBSCAN eps 0.5, the old default:
// F1 0.983, 1.4%). Faces under quality 2.75 (minQuality) may join a cluster
// but never link two: neutral on LFW, it stops blurred faces from forming a
// junk cluster or bridging people (synthetic chaining case: F1 0.81 -> 0.94).
// To reproduce with `mnemo sweep`, after one
// `npm run bench -- quality` (it writes the workspace and the gold CSV):
//
//   D=$TMPDIR/mnemo-quality-bench   # (/tmp/mnemo-quality-bench)
//   mnemo gold import faces $D/gold-faces.csv --config $D/mnemo.yaml
//   mnemo sweep cluster.threshold=0.56:0.64:0.02 --config $D/mnemo.yaml
//   mnemo sweep cluster.method=dbscan cluster.eps=0.45:0.55:0.05 --config $D/mnemo.yaml
//   mnemo sweep cluster.minQuality=0,2.75,3,3.25 --config $D/mnemo.yaml
//
// (the sweep's f1 column is the clusters' pairwise F1 against the subjects;
// its `best` line takes the highest F1 alone, 0.62, which puts three times as
// many people seen once into someone's cluster as 0.60 for +0.0014 F1).
//
// Labels (personLink, issue #18): a human's label anchors a person, so after
// clustering, a cluster or lone face without a label joins the labelled
// cluster holding its nearest face when that distance is at most 0.55
// (similarity 0.45, the same-person threshold of face-models.md and assign's
// knnThreshold). It names a person's second cluster and outliers that
// average linkage left alone, never merges two persons (their faces are
// cannot-linked), never crosses one photo or 'not:<person>', and only joins,
// so a label splits nothing. Measured with bench/quality.ts: one label per
// person seen at least three times (a face of the person's largest cluster),
// the share of those people's 1,121 faces named and the share of all 1,320
// subjects named wrongly:
//
//   setting                                 named   wrongly  left unnamed
//   personLink 0 (labels as must-links only) 98.6%   0.15%    16 (Anna_Kournikova's 2nd cluster of 4, 9 lone faces)
//   personLink 0 with assign.knnThreshold 0.40 98.8% 0.23%
//   personLink 0 with assign.knnThreshold 0.35 99.0% 1.1%
//   personLink 0.50                          98.6%   0.15%    16
//   personLink 0.53                          98.75%  0.15%    14
//   personLink 0.54                          98.8%   0.15%    13
//   personLink 0.55 (default)                99.2%   0.23%     9
//   personLink 0.555                         99.3%   0.38%     8
//   personLink 0.56                          99.3%   0.45%     8
//   personLink 0.58                          99.3%   0.76%     8
//
// At 0.55 the one new wrong name is a person seen once (William_Delahunt, at
// similarity 0.456 to a face of Mahmoud_Abbas: the same person's outliers
// sit at 0.460-0.478, so no threshold or margin tried separated them); the
// clusters without labels are unchanged (people seen once grouped 4/151),
// with labels 6/151 (Shamai_Leibowitz, named by assign's vote before, now
// also in the cluster), and clusters with labels reach F1 0.989. The
// plateau is narrow (0.54 leaves Anna_Kournikova's second cluster, 0.555
// names two people seen twice): the value is the same-person threshold
// fixed before, not a fit. Kept to kNN edges, the step is O(n k). Reproduce
// on the labelled workspace of the bench (its sweep's person_f1 column):
//
//   mnemo gold import faces $D/gold-faces.csv --config $D/mnemo-labelled.yaml
//   mnemo sweep cluster.personLink=0,0.5,0.53,0.55,0.56,0.58 --config $D/mnemo-labelled.yaml
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineNode } from '../dag/node-type.ts';
import { readJournal, journalStateKey, type JournalState } from '../datasets/persons.ts';
import { clusterFaces, type Clustering } from '../vectors/clustering.ts';
import { cachedKnnGraph, indexOf, knnGraphCacheDir, knnGraphKey, knnGraphParams, photoGroups, readFaceVectors, withoutPoints, type FaceVectors, type KnnGraphKey } from '../vectors/face-vectors.ts';
import type { KnnGraph } from '../vectors/knn-graph.ts';

export const clusterParams = z.object({
  /** average: average linkage, resists chaining (the default: see the top of this file); dbscan: density on cosine distance. */
  method: z.enum(['dbscan', 'average']).default('average'),
  /** dbscan: cosine distance of a neighbourhood (0.50-0.55 was perfect on real faces; face-models.md). */
  eps: z.number().gt(0).max(2).default(0.5),
  /** dbscan: neighbours within eps, the face included, for a core face; 3 turns people seen twice into noise. */
  minPts: z.number().int().min(1).max(200).default(2),
  /** average: merge while the mean cosine distance between two clusters is below this (0.60 maximised F1 on LFW; see the top of this file). */
  threshold: z.number().gt(0).max(2).default(0.6),
  /**
   * Faces under this quality (the embedder's output length; images drops those under 2.5) may join a
   * cluster but never link two: blurred and tiny faces resemble each other across people. 0 = off.
   * 2.75 changes nothing on LFW (3.0 cost 0.001 F1) and stops the junk cluster of the synthetic chaining case.
   */
  minQuality: z.number().min(0).max(10).default(2.75),
  /**
   * After clustering, a cluster or lone face without a label joins the labelled person's cluster whose
   * face is nearest, when that cosine distance is at most this (0 = off). 0.55 is assign's knnThreshold
   * (similarity 0.45): a label names a person's second cluster and its outliers (see the top of this file).
   */
  personLink: z.number().min(0).max(2).default(0.55),
  /** dbscan: link core faces only when each is in the other's first mutualK neighbours (curbs chaining). */
  mutualK: z.number().int().min(1).max(200).optional(),
  /** The kNN graph (shared with umap: same defaults, one cached graph). */
  ...knnGraphParams.shape,
}).strict();
export type ClusterParams = z.output<typeof clusterParams>;

export interface FaceConstraints {
  cannotLink: number[][];
  mustLink: [number, number][];
  /** 1 for faces a human put on a person. */
  labelled: Uint8Array;
  /** 1 for faces a human marked 'not_a_face'. */
  excluded: Uint8Array;
}

/** The photo and human constraints as row indices of `faces`. */
export function faceConstraints(faces: FaceVectors, photos: number[][], journal: JournalState): FaceConstraints {
  const index = indexOf(faces);
  const excluded = new Uint8Array(faces.n);
  const labelled = new Uint8Array(faces.n);
  const byPerson = new Map<number, number[]>();
  const nots: [number, number][] = [];
  for (const [faceId, state] of journal) {
    const row = index.get(faceId);
    if (row === undefined) continue;
    if (state.decision === 'not_a_face') excluded[row] = 1;
    else if (typeof state.decision === 'number') {
      labelled[row] = 1;
      const rows = byPerson.get(state.decision);
      if (rows) rows.push(row);
      else byPerson.set(state.decision, [row]);
    }
    for (const person of state.not) nots.push([row, person]);
  }
  // Each person's faces are must-linked to one representative face; the
  // representatives of all persons form one cannot-link group, so persons
  // never merge, and 'not:<person>' is a cannot-link to that representative.
  const mustLink: [number, number][] = [];
  const representative = new Map<number, number>();
  for (const [person, rows] of [...byPerson.entries()].sort(([a], [b]) => a - b)) {
    rows.sort((a, b) => a - b);
    representative.set(person, rows[0]!);
    for (const row of rows.slice(1)) mustLink.push([rows[0]!, row]);
  }
  const cannotLink = photos.map((group) => [...group]);
  if (representative.size > 1) cannotLink.push([...representative.values()]);
  for (const [row, person] of nots) {
    const rep = representative.get(person);
    if (rep !== undefined && rep !== row) cannotLink.push([row, rep]);
  }
  return { cannotLink, mustLink, labelled, excluded };
}

/** Clusters with the constraints; excluded faces are noise and link nothing. */
export function clusterWithConstraints(graph: KnnGraph, faces: FaceVectors, constraints: FaceConstraints, p: ClusterParams): Clustering {
  const anyExcluded = constraints.excluded.some((flag) => flag === 1);
  const usable = anyExcluded ? withoutPoints(graph, constraints.excluded) : graph;
  const { cannotLink, mustLink, labelled } = constraints;
  const personLink = p.personLink;
  const weak = weakFaces(faces, p.minQuality);
  let result: Clustering;
  if (p.method === 'dbscan' && p.minPts - 1 > p.k) throw new Error(`minPts ${p.minPts} needs k >= ${p.minPts - 1} (k is ${p.k})`);
  if (p.method === 'dbscan' && p.minPts - 1 > usable.k) {
    // Fewer faces than minPts: none can be core, all are noise.
    result = clusterFaces(usable, faces.vectors, faces.dim, { method: 'dbscan', eps: p.eps, minPts: usable.k + 1, cannotLink, mustLink, mutualK: p.mutualK });
    result.labels.fill(-1);
    result.isCore.fill(0);
  } else {
    result = p.method === 'dbscan'
      ? clusterFaces(usable, faces.vectors, faces.dim, { method: 'dbscan', eps: p.eps, minPts: p.minPts, mutualK: p.mutualK, cannotLink, mustLink, weak, labelled, personLink })
      : clusterFaces(usable, faces.vectors, faces.dim, { method: 'average', threshold: p.threshold, cannotLink, mustLink, weak, labelled, personLink });
  }
  for (let i = 0; i < faces.n; i++) {
    if (constraints.excluded[i]) {
      result.labels[i] = -1;
      result.isCore[i] = 0;
    }
    // Distance to the nearest face of the whole graph, excluded faces included.
    result.nnDistance[i] = graph.k > 0 && graph.indices[i * graph.k]! >= 0 ? graph.distances[i * graph.k]! : Infinity;
  }
  const labels = new Set<number>();
  for (const label of result.labels) if (label >= 0) labels.add(label);
  result.clusterCount = labels.size;
  result.noiseCount = result.labels.reduce((count, label) => count + (label < 0 ? 1 : 0), 0);
  return result;
}

/** 1 for faces whose known quality is under minQuality (none when it is 0 or the faces carry no quality). */
function weakFaces(faces: FaceVectors, minQuality: number): Uint8Array | undefined {
  if (minQuality <= 0 || !faces.quality) return undefined;
  return Uint8Array.from(faces.quality, (quality) => (quality > 0 && quality < minQuality ? 1 : 0));
}

export const cluster = defineNode({
  name: 'cluster',
  // 2: average linkage re-computes stale pairs lazily (near-ties may merge in another order); minQuality.
  // 3: personLink (unlabelled clusters join the nearest labelled one).
  version: '3',
  description: 'Clusters the accepted faces (one row per face_id) on their cached kNN graph, with photo and human constraints.',
  params: clusterParams,
  // The graph cache's key (settings and KNN_GRAPH_VERSION) is part of the fingerprint.
  cacheKeys: (p) => ({ knnGraph: knnGraphKey(p) }),
  inputs: ['faces'],
  outputs: {
    clusters: {
      description: 'Cluster of each accepted face (-1 = noise); is_core: a DBSCAN core face (average: in a cluster); nn_distance: cosine distance to its nearest face.',
      columns: { face_id: 'VARCHAR', cluster_id: 'INTEGER', is_core: 'BOOLEAN', nn_distance: 'DOUBLE' },
    },
  },
  // Human decisions change the constraints, so they are part of the input.
  async inputFingerprint(ctx) {
    const journal = await ctx.readCatalog(readJournal);
    return { fingerprint: createHash('sha256').update(journalStateKey(journal, { constraintsOnly: true })).digest('hex'), prepared: journal };
  },
  async run(ctx) {
    const p = ctx.params;
    const faces = await readFaceVectors(ctx.inputs.faces!);
    const photos = photoGroups(faces);
    ctx.progress.total(2 * faces.n);
    let reported = 0;
    const started = Date.now();
    const { graph, reused } = await cachedKnnGraph(knnGraphCacheDir(ctx.cacheDir), faces, ctx.cacheKeys.knnGraph as KnnGraphKey, {
      signal: ctx.signal,
      onProgress: (phase, done) => {
        const position = (phase === 'search' ? faces.n : 0) + done;
        ctx.progress.advance(position - reported);
        reported = position;
      },
    });
    const graphMs = Date.now() - started;
    const constraints = faceConstraints(faces, photos, ctx.prepared as JournalState);
    const clustering = clusterWithConstraints(graph, faces, constraints, p);
    const clusterMs = Date.now() - started - graphMs;
    ctx.progress.advance(2 * faces.n - reported);
    await ctx.writeTable('clusters', (function* () {
      for (let i = 0; i < faces.n; i++) {
        const nn = clustering.nnDistance[i]!;
        yield { face_id: faces.ids[i], cluster_id: clustering.labels[i], is_core: clustering.isCore[i] === 1, nn_distance: Number.isFinite(nn) ? nn : null };
      }
    })());
    const sizes = new Map<number, number>();
    for (const label of clustering.labels) if (label >= 0) sizes.set(label, (sizes.get(label) ?? 0) + 1);
    return {
      faces: faces.n,
      clusters: clustering.clusterCount,
      noise: clustering.noiseCount,
      largestCluster: [...sizes.values()].reduce((max, size) => Math.max(max, size), 0),
      excluded: constraints.excluded.reduce((sum, flag) => sum + flag, 0),
      mustLinks: constraints.mustLink.length,
      refusedByCannotLink: clustering.refusedByCannotLink,
      refusedMustLinks: clustering.refusedMustLinks,
      joinedToLabelled: clustering.joinedToLabelled,
      graph: reused ? 'reused' : 'built',
      graphMs,
      clusterMs,
    };
  },
});
