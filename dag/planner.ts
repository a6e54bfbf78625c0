// Order and identity: a topological order of the pipeline, and each node's
// fingerprint = hash(type, version, resolved params, upstream fingerprints,
// fingerprint of the data it reads from outside the pipeline).
import { createHash } from 'node:crypto';
import type { NodeSpec } from './spec.ts';

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
}

export function nodeFingerprint(parts: FingerprintParts): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex').slice(0, 32);
}

/** JSON with sorted object keys, so equal values always hash equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, v]) => `${JSON.stringify(key)}:${canonicalJson(v)}`).join(',')}}`;
}
