// The cluster correspondence of two runs as a flow: where the faces of run A's
// clusters went in run B, for drawing (the Compare view's sankey). One link
// per (A cluster, B cluster) pair that shares faces; noise (-1) is a node of
// its own on each side. Too many links to draw at archive scale, so the
// largest changes come first (faces that went to another cluster than the
// match, or to or from noise), each with the kept links of its two clusters
// beside it, so a split or a merge reads as one picture; the largest kept
// links fill what room is left.
import { parquetSource, queryRows } from '../datasets/parquet.ts';
import type { ClusterMatch } from './correspondence.ts';
import type { RunFacts } from './run-facts.ts';

export const NOISE = -1;

export interface FlowLink {
  /** Cluster of run A (-1: noise). */
  a: number;
  /** Cluster of run B (-1: noise). */
  b: number;
  faces: number;
  /** kept: the matched pair; moved: faces that went to another cluster; to_noise / from_noise. */
  kind: 'kept' | 'moved' | 'to_noise' | 'from_noise';
}

export interface ClusterFlow {
  links: FlowLink[];
  /** Links (and their faces) left out of `links`. */
  otherLinks: number;
  otherFaces: number;
  /** Cluster sizes (faces shared by both runs) of the clusters the links name. */
  sizeA: Record<string, number>;
  sizeB: Record<string, number>;
}

/** The links to draw, at most `limit`, changes first; null when a run has no clusters table. */
export async function clusterFlowOf(a: RunFacts, b: RunFacts, matches: readonly ClusterMatch[], limit = 40): Promise<ClusterFlow | null> {
  if (!a.tables.clusters || !b.tables.clusters) return null;
  const cells = await queryRows<{ a: number; b: number; faces: number | bigint }>(`
    SELECT greatest(x.cluster_id, -1) AS a, greatest(y.cluster_id, -1) AS b, count(*) AS faces
    FROM ${parquetSource(a.tables.clusters.path)} x JOIN ${parquetSource(b.tables.clusters.path)} y USING (face_id)
    WHERE x.cluster_id >= 0 OR y.cluster_id >= 0
    GROUP BY ALL`);
  const matched = new Set(matches.map((m) => `${m.a}:${m.b}`));
  const links: FlowLink[] = cells.map((cell) => ({
    a: cell.a, b: cell.b, faces: Number(cell.faces),
    kind: cell.b === NOISE ? 'to_noise' : cell.a === NOISE ? 'from_noise' : matched.has(`${cell.a}:${cell.b}`) ? 'kept' : 'moved',
  }));
  const shown = pickLinks(links, limit);
  const drawn = new Set(shown);
  const rest = links.filter((link) => !drawn.has(link));
  const sizeA: Record<string, number> = {};
  const sizeB: Record<string, number> = {};
  for (const link of links) {
    sizeA[link.a] = (sizeA[link.a] ?? 0) + link.faces;
    sizeB[link.b] = (sizeB[link.b] ?? 0) + link.faces;
  }
  const named = (sizes: Record<string, number>, ids: Set<number>) => Object.fromEntries(Object.entries(sizes).filter(([id]) => ids.has(Number(id))));
  return {
    links: shown,
    otherLinks: rest.length,
    otherFaces: rest.reduce((sum, link) => sum + link.faces, 0),
    sizeA: named(sizeA, new Set(shown.map((l) => l.a))),
    sizeB: named(sizeB, new Set(shown.map((l) => l.b))),
  };
}

/** The largest changes with their clusters' kept links, then the largest kept links, at most `limit`, in that order. */
export function pickLinks(links: readonly FlowLink[], limit: number): FlowLink[] {
  const byFaces = [...links].sort((x, y) => y.faces - x.faces || x.a - y.a || x.b - y.b);
  const keptOfA = new Map<number, FlowLink>();
  const keptOfB = new Map<number, FlowLink>();
  for (const link of byFaces) {
    if (link.kind !== 'kept') continue;
    keptOfA.set(link.a, link);
    keptOfB.set(link.b, link);
  }
  const picked = new Set<FlowLink>();
  for (const change of byFaces.filter((link) => link.kind !== 'kept')) {
    const group = [change, keptOfA.get(change.a), keptOfB.get(change.b)].filter((link): link is FlowLink => link !== undefined && !picked.has(link));
    if (picked.size + group.length > limit) break;
    for (const link of group) picked.add(link);
  }
  for (const link of byFaces) {
    if (picked.size >= limit) break;
    picked.add(link);
  }
  return byFaces.filter((link) => picked.has(link));
}
