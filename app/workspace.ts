// Where a command or the server works: one data folder (the store) and the
// pipeline spec that describes it. Opening a workspace reads no node types
// and opens no database, so commands that only read the store start fast.
import { existsSync } from 'node:fs';
import type { NodeRegistry, PipelineSpec } from '../dag/spec.ts';
import { Store } from '../datasets/store.ts';

export interface WorkspaceOptions {
  /** The pipeline spec (default mnemo.yaml in the current folder). */
  config?: string;
  /** The data folder; default: the spec's `data`, else ./mnemo-data. */
  data?: string;
}

export class Workspace {
  /** `configPath` is kept as the user wrote it, so messages name it the same way. */
  private constructor(readonly configPath: string, readonly store: Store) {}

  /** The store of `data`, else of the spec's `data`, else ./mnemo-data. */
  static async open(options: WorkspaceOptions = {}): Promise<Workspace> {
    const configPath = options.config ?? 'mnemo.yaml';
    if (options.data) return new Workspace(configPath, new Store(options.data));
    if (existsSync(configPath)) {
      const { readDataDir } = await import('../dag/spec.ts');
      return new Workspace(configPath, new Store(readDataDir(configPath)));
    }
    return new Workspace(configPath, new Store('./mnemo-data'));
  }

  /** Every node type mnemo knows (loaded on first use: it pulls in the models). */
  async registry(): Promise<NodeRegistry> {
    return (await import('../nodes/index.ts')).NODE_TYPES;
  }

  /** The validated pipeline, with `--set` overrides applied. */
  async spec(overrides: string[] = []): Promise<PipelineSpec> {
    const { loadSpecFile } = await import('../dag/spec.ts');
    return loadSpecFile(this.configPath, await this.registry(), { overrides });
  }
}
