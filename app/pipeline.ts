// Starting a pipeline run and following it: the run reports typed events
// (dag/progress.ts) that the CLI prints and the server streams; a run can be
// cancelled (finished nodes are kept, `resume` completes it later).
import type { RunOptions, RunSummary } from '../dag/executor.ts';
import type { RunEvent } from '../dag/progress.ts';
import { translated } from './errors.ts';
import type { Workspace } from './workspace.ts';

/** The engine's run options (dag/executor.ts), plus `--set` overrides; cancelling goes through the handle. */
export interface StartRunOptions extends Omit<RunOptions, 'signal'> {
  /** `node.param=value` overrides for this run (validated like the spec). */
  set?: string[];
}

export interface RunHandle {
  /** The run's id, once the run is registered. */
  readonly runId: Promise<number>;
  /** Settles when the run has finished, succeeded or failed. */
  readonly done: Promise<RunSummary>;
  /** Stops the run: running nodes are interrupted, finished ones kept. */
  cancel(): void;
}

/**
 * Validates the spec (throwing an invalid AppError for a mistake) and starts
 * the run in the background.
 */
export async function startRun(workspace: Workspace, options: StartRunOptions = {}): Promise<RunHandle> {
  const spec = await translated(() => workspace.spec(options.set ?? []));
  const registry = await workspace.registry();
  const { runPipeline } = await import('../dag/executor.ts');
  const controller = new AbortController();
  let resolveRunId!: (id: number) => void;
  let rejectRunId!: (error: unknown) => void;
  const runId = new Promise<number>((resolve, reject) => {
    resolveRunId = resolve;
    rejectRunId = reject;
  });
  runId.catch(() => undefined); // a caller that only awaits `done` sees the error there
  const onEvent = (event: RunEvent) => {
    if (event.type === 'run-started') resolveRunId(event.runId);
    options.onEvent?.(event);
  };
  const done = translated(() =>
    runPipeline(spec, registry, workspace.store, {
      only: options.only, from: options.from, resume: options.resume, tags: options.tags, updateLatest: options.updateLatest,
      onEvent, signal: controller.signal, command: options.command ?? 'mnemo run', keepCatalogOpen: options.keepCatalogOpen,
    }),
  );
  done.catch(rejectRunId);
  return { runId, done, cancel: () => controller.abort(new Error('interrupted')) };
}

/** Starts a run and waits for it. */
export async function runToEnd(workspace: Workspace, options: StartRunOptions = {}): Promise<RunSummary> {
  return (await startRun(workspace, options)).done;
}
