// What every `mnemo` command shares: its shape, the common options, the
// workspace it works on, and the error type for mistakes in the command line
// itself. Commands parse and print; the work is the application layer's
// (app/), imported only by the command that needs it so `--help` starts fast.
import type { ParseArgsConfig } from 'node:util';
import type { Workspace } from '../app/workspace.ts';

export interface Command {
  summary: string;
  usage: string;
  options: ParseArgsConfig['options'];
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

/** A mistake in the command line: printed as one line, exit code 2. */
export class UsageError extends Error {}

export const common = {
  config: { type: 'string', short: 'c', default: 'mnemo.yaml' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const out = (text: string) => process.stdout.write(`${text}\n`);

/** The workspace of `--config` / `--data`. */
export async function workspaceOf(values: Record<string, unknown>): Promise<Workspace> {
  const { Workspace } = await import('../app/workspace.ts');
  return Workspace.open({ config: String(values.config ?? 'mnemo.yaml'), data: typeof values.data === 'string' ? values.data : undefined });
}

/** A whole number from the command line, or a UsageError naming what it is. */
export function wholeNumber(text: string | undefined, what: string): number {
  if (!text || !/^\d+$/.test(text)) throw new UsageError(`${what} must be a number (got '${text ?? ''}')`);
  return Number(text);
}

export const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
