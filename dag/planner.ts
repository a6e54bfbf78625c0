// Order and identity: a topological order of the pipeline, and each node's
// fingerprint = hash(type, version, resolved params, upstream fingerprints,
// fingerprint of the data it reads from outside the pipeline, cache keys).
import { createHash } from 'node:crypto';
import { canonicalJson } from '../datasets/canonical-json.ts';
import type { NodeSpec } from './spec.ts';

export { canonicalJson };

/** Kahn's algorithm, ties broken by declaration order so plans are stable. */
export function topologicalOrder(nodes: NodeSpec[]): NodeSpec[] {
  const remaining = new Map(nodes.map((node) => [node.name, new Set(node.needs)]));
  const order: NodeSpec[] = [];
  while (remaining.size > 0) {
    const ready = nodes.find((node) => remaining.get(node.name)?.size === 0);
    if (!ready) throw new Error(`cycle among: ${[...remaining.keys()].join(', ')}`);
    order.push(ready);
    remaining.delete(ready.name);
    for (const needs of remaining.values()) needs.delete(ready.name);
  }
  return order;
}

/** The node and everything downstream of it. */
export function downstreamOf(nodes: NodeSpec[], start: string): Set<string> {
  const result = new Set([start]);
  for (const node of topologicalOrder(nodes)) {
    if (node.needs.some((upstream) => result.has(upstream))) result.add(node.name);
  }
  return result;
}

export interface FingerprintParts {
  type: string;
  version: string;
  params: unknown;
  upstream: Record<string, string>;
  input: string | null;
  /** The node type's `cacheKeys` (absent without caches, so such nodes keep their fingerprints). */
  caches?: Record<string, unknown>;
}

export function nodeFingerprint(parts: FingerprintParts): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex').slice(0, 32);
}
