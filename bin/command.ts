// What every `mnemo` command shares: its shape, the common options, where its
// store is, and the error type for mistakes a user can fix (printed as one
// line with exit code 2, no stack).
import { existsSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { loadSpecFile } from '../dag/spec.ts';
import { Store } from '../datasets/store.ts';
import { NODE_TYPES } from '../nodes/index.ts';

export interface Command {
  summary: string;
  usage: string;
  options: ParseArgsConfig['options'];
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

export class UsageError extends Error {}

export const common = {
  config: { type: 'string', short: 'c', default: 'mnemo.yaml' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const out = (text: string) => process.stdout.write(`${text}\n`);

/** The store of `--data DIR`, else of the spec's `data`, else ./mnemo-data. */
export function storeFor(values: Record<string, unknown>): Store {
  if (typeof values.data === 'string') return new Store(values.data);
  const config = String(values.config ?? 'mnemo.yaml');
  if (existsSync(config)) return new Store(loadSpecFile(config, NODE_TYPES).dataDir);
  return new Store('./mnemo-data');
}
