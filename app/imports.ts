// Camera-inbox import: copy photos new by content from the inbox source into
// the archive (verified; nothing overwritten or deleted), or plan it only.
import type { NodeSpec } from '../dag/spec.ts';
import type { RunSummary } from '../dag/executor.ts';
import type { RunEventSink } from '../dag/progress.ts';
import type { ImportPlan } from '../files/import-plan.ts';
import type { SourceSpec } from '../dag/node-type.ts';
import { invalid, translated } from './errors.ts';
import { runToEnd } from './pipeline.ts';
import type { Workspace } from './workspace.ts';

export interface ImportPreview extends ImportPlan {
  inbox: SourceSpec;
  archive: SourceSpec;
  inboxProblems: string[];
}

export interface ImportOutcome {
  summary: RunSummary;
  copied: number;
  renamedCopies: number;
  alreadyInArchive: number;
  failed: number;
}

async function importNode(workspace: Workspace, nodeName?: string): Promise<{ node: NodeSpec; sources: SourceSpec[] }> {
  const spec = await translated(() => workspace.spec());
  const nodes = spec.nodes.filter((node) => node.type === 'import' && (!nodeName || node.name === nodeName));
  if (nodes.length === 0) {
    throw invalid(`${nodeName ? `no import node named '${nodeName}'` : 'the pipeline has no import node'}; add one to ${workspace.configPath}, e.g.\n  nodes:\n    import:\n      params: { inbox: camera, archive: photos }`);
  }
  if (nodes.length > 1) throw invalid(`the pipeline has several import nodes (${nodes.map((node) => node.name).join(', ')}); pick one with --node NAME`);
  return { node: nodes[0]!, sources: spec.sources };
}

/** What an import would do, without writing anything. */
export async function previewImport(workspace: Workspace, nodeName?: string): Promise<ImportPreview> {
  const { node, sources } = await importNode(workspace, nodeName);
  const { previewImport: plan } = await import('../nodes/import.ts');
  const { readHashCache } = await import('../datasets/hash-cache.ts');
  const store = workspace.store;
  return translated(() => plan(sources, node.params as never, (names) => (store.exists() ? store.read((catalog) => readHashCache(catalog, names)) : Promise.resolve(new Map()))));
}

/** Runs only the import node (recorded as a run); `mnemo run` then catalogues the new photos. */
export async function runImport(workspace: Workspace, options: { node?: string; onEvent?: RunEventSink; command?: string } = {}): Promise<ImportOutcome> {
  const { node } = await importNode(workspace, options.node);
  const summary = await runToEnd(workspace, { only: node.name, onEvent: options.onEvent, command: options.command ?? 'mnemo import' });
  const done = (summary.nodes.find((entry) => entry.node === node.name)?.metadata ?? {}) as Record<string, number>;
  return { summary, copied: done.copied ?? 0, renamedCopies: done.renamedCopies ?? 0, alreadyInArchive: done.alreadyInArchive ?? 0, failed: done.failed ?? 0 };
}
