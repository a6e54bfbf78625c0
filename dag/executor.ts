// Runs a validated pipeline: nodes start as soon as their upstreams are done
// (independent nodes overlap), each either reused from an earlier run with the
// same fingerprint or computed. A node's outputs are Parquet files renamed
// into place, then recorded in one catalog transaction, so a run killed at any
// point leaves the last good state and `--resume` finishes it.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { z } from 'zod';
import { copyQueryToParquet, writeParquet, writeParquetColumns, type Columns } from '../datasets/parquet.ts';
import { keepCatalogsOpen } from '../datasets/catalog.ts';
import { acquireRunLock } from '../datasets/run-lock.ts';
import { NotResumableError, resumableRun } from '../datasets/run-registry.ts';
import type { ItemError, NodeOutcome, Store } from '../datasets/store.ts';
import type { Row } from '../datasets/schema.ts';
import type { NodeContext, NodeType, ProgressHandle } from './node-type.ts';
import { downstreamOf, nodeFingerprint, topologicalOrder } from './planner.ts';
import { ignoreEvents, type NodeStatus, type RunEventSink } from './progress.ts';
import type { NodeRegistry, NodeSpec, PipelineSpec } from './spec.ts';

export interface RunOptions {
  /** Run only this node; its upstreams must be reusable. */
  only?: string;
  /** Re-run this node and everything downstream of it, even if reusable. */
  from?: string;
  /** Finish an interrupted or failed run instead of starting a new one: true = the newest run, or a run id. */
  resume?: boolean | number;
  tags?: Record<string, unknown>;
  /** Re-point `latest.*` at this run when it succeeds; default: yes, unless `only` (a partial run). Sweeps say false. */
  updateLatest?: boolean;
  /** Receives the run's typed events (started, progress, node finished, item errors, finished). */
  onEvent?: RunEventSink;
  signal?: AbortSignal;
  /** How the run was started (e.g. the command line), recorded with the run lock. */
  command?: string;
  /**
   * Keep the catalog open between the run's own units of work while no node
   * computes (keepCatalogsOpen): a run that reuses every node then opens it
   * once instead of 25 times. Only for a process that does nothing else
   * meanwhile (the `mnemo run` command), never in the workbench's server.
   */
  keepCatalogOpen?: boolean;
}

export interface NodeSummary {
  node: string;
  status: NodeOutcome['status'];
  reusedFrom: number | null;
  durationMs: number;
  rowsWritten: number;
  errors: number;
  metadata: Record<string, unknown>;
}

export interface RunSummary {
  runId: number;
  status: 'succeeded' | 'failed';
  message: string | null;
  nodes: NodeSummary[];
}

/** --only or --from names a node the pipeline does not have. */
export class RunOptionsError extends Error {
  override name = 'RunOptionsError';
}

export async function runPipeline(spec: PipelineSpec, registry: NodeRegistry, store: Store, options: RunOptions = {}): Promise<RunSummary> {
  const emit = options.onEvent ?? ignoreEvents;
  for (const name of [options.only, options.from]) {
    if (name && !spec.nodes.some((node) => node.name === name)) throw new RunOptionsError(`no node named '${name}' in this pipeline (nodes: ${spec.nodes.map((n) => n.name).join(', ')})`);
  }
  const lock = acquireRunLock(store.dataDir, options.command ?? 'mnemo run');
  /** Nodes computing now: their own work may run long without yielding, so nothing is kept open meanwhile. */
  let computing = 0;
  if (options.keepCatalogOpen) keepCatalogsOpen(true);
  try {
    let runId: number;
    let completed = new Map<string, { fingerprint: string; outputs: Record<string, string>; status: NodeOutcome['status']; reusedFrom: number | null; rows: number; metadata: Record<string, unknown> }>();
    if (options.resume) {
      const resumable = await findResumableRun(store, options.resume === true ? undefined : options.resume);
      runId = resumable.runId;
      spec = resumable.spec as PipelineSpec;
      completed = resumable.completed;
      await store.reopenRun(runId);
    } else {
      runId = await store.startRun(spec, spec.file, options.tags ?? {});
    }
    emit({ type: 'run-started', runId, nodes: spec.nodes.map((node) => node.name), resumed: Boolean(options.resume), alreadyDone: completed.size });

    const order = topologicalOrder(spec.nodes);
    const forced = options.from ? downstreamOf(spec.nodes, options.from) : new Set<string>();
    const finished = new Map<string, Promise<{ fingerprint: string; outputs: Record<string, string> } | null>>();
    const summaries: NodeSummary[] = [];
    let failure: string | null = null;
    const controller = new AbortController();
    options.signal?.addEventListener('abort', () => controller.abort(options.signal?.reason), { once: true });

    const execute = async (nodeSpec: NodeSpec): Promise<{ fingerprint: string; outputs: Record<string, string> } | null> => {
      const upstream: Record<string, { fingerprint: string; outputs: Record<string, string> }> = {};
      for (const name of nodeSpec.needs) {
        const result = await finished.get(name);
        if (!result) return null; // an upstream failed or was skipped
        upstream[name] = result;
      }
      if (failure || controller.signal.aborted) return null;
      const nodeType = registry.get(nodeSpec.type)!;
      const startedAt = Date.now();
      const inputs = resolveInputs(nodeType, upstream, store);
      const base = {
        runId,
        node: nodeSpec.name,
        params: nodeSpec.params as z.output<typeof nodeType.params>,
        sources: spec.sources,
        inputs,
        cacheDir: store.cacheDir(nodeType.name),
        readCatalog: <T>(work: Parameters<Store['read']>[0]) => store.read(work) as Promise<T>,
        log: (message: string) => emit({ type: 'log', node: nodeSpec.name, message }),
        signal: controller.signal,
      };
      emit({ type: 'node-started', node: nodeSpec.name });
      const progress = progressEvents(nodeSpec.name, emit);
      const errors: ItemError[] = [];
      const outcome = (status: NodeOutcome['status'], fingerprint: string, extra: Partial<NodeOutcome> = {}): NodeOutcome => ({
        node: nodeSpec.name, type: nodeType.name, version: nodeType.version, status, fingerprint, reusedFrom: null,
        startedAt, finishedAt: Date.now(), rowsWritten: 0, outputs: {}, metadata: {}, message: null, ...extra,
      });
      let fingerprint = 'unknown';
      try {
        // Computed once: the same record is hashed here and opens the node's caches in run().
        const cacheKeys = nodeType.cacheKeys?.(nodeSpec.params);
        const input = nodeType.inputFingerprint ? await nodeType.inputFingerprint({ ...base, progress }) : null;
        fingerprint = nodeFingerprint({
          type: nodeType.name,
          version: nodeType.version,
          params: Object.fromEntries(Object.entries(nodeSpec.params).filter(([key]) => !nodeType.executionParams?.includes(key))),
          upstream: Object.fromEntries(Object.entries(upstream).map(([name, result]) => [name, result.fingerprint])),
          input: input?.fingerprint ?? null,
          caches: cacheKeys,
        });
        const already = completed.get(nodeSpec.name);
        if (already && already.fingerprint === fingerprint) {
          summaries.push({ node: nodeSpec.name, status: already.status, reusedFrom: already.reusedFrom, durationMs: 0, rowsWritten: already.rows, errors: 0, metadata: already.metadata });
          emit({ type: 'node-finished', node: nodeSpec.name, status: already.status as NodeStatus, reusedFrom: runId, alreadyDone: true, durationMs: 0, rows: already.rows, errors: 0, message: null });
          return { fingerprint, outputs: already.outputs };
        }
        const mustRun = forced.has(nodeSpec.name) || options.only === nodeSpec.name;
        if (!mustRun) {
          const reusable = await store.read((catalog) => store.findReusable(catalog, fingerprint)).catch(() => null);
          if (reusable) {
            const record = outcome('reused', fingerprint, { reusedFrom: reusable.runId, outputs: reusable.outputs, rowsWritten: reusable.rowsWritten, metadata: reusable.metadata });
            await store.completeNode(runId, record, []);
            summaries.push(summaryOf(record, 0));
            emit(finishedEvent(record, 0));
            return { fingerprint, outputs: reusable.outputs };
          }
          if (options.only) throw new Error(`--only ${options.only}: upstream '${nodeSpec.name}' has no completed output for the current inputs; run the whole pipeline first`);
        }

        const outputs: Record<string, string> = {};
        const commits: ((connection: DuckDBConnection, outputs: Record<string, string>) => Promise<void>)[] = [];
        let rowsWritten = 0;
        const claim = (table: string) => {
          const schema = nodeType.outputs[table];
          if (!schema) throw new Error(`node type ${nodeType.name} does not declare an output table '${table}'`);
          if (outputs[table]) throw new Error(`table '${table}' was written twice`);
          return { schema, path: store.tablePath(runId, nodeSpec.name, table) };
        };
        const context: NodeContext<unknown, unknown> = {
          ...base,
          prepared: input?.prepared,
          cacheKeys: cacheKeys ?? {},
          progress,
          onCommit: (update) => commits.push(update),
          itemError: (item, message) => {
            errors.push({ item, message });
            emit({ type: 'item-error', node: nodeSpec.name, item, message });
          },
          writeTable: async (table: string, rows: Iterable<Row>) => {
            const { schema, path } = claim(table);
            const count = await writeParquet(path, schema, rows);
            outputs[table] = store.relative(path);
            rowsWritten += count;
            return count;
          },
          writeTableFromQuery: async (table: string, sql: string) => {
            const { schema, path } = claim(table);
            const count = await copyQueryToParquet(path, schema, sql);
            outputs[table] = store.relative(path);
            rowsWritten += count;
            return count;
          },
          writeTableColumns: async (table: string, columns: Columns, rowCount: number) => {
            const { schema, path } = claim(table);
            const count = await writeParquetColumns(path, schema, columns, rowCount);
            outputs[table] = store.relative(path);
            rowsWritten += count;
            return count;
          },
        };
        if (computing++ === 0) keepCatalogsOpen(false);
        let metadata: Record<string, unknown>;
        try {
          metadata = ((await nodeType.run(context as never)) ?? {}) as Record<string, unknown>;
        } finally {
          if (--computing === 0 && options.keepCatalogOpen) keepCatalogsOpen(true);
        }
        controller.signal.throwIfAborted();
        const missing = Object.keys(nodeType.outputs).filter((table) => !outputs[table]);
        if (missing.length) throw new Error(`finished without writing its table${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
        const record = outcome('done', fingerprint, { outputs, rowsWritten, metadata });
        await store.completeNode(runId, record, errors, async (connection) => {
          const absolute = Object.fromEntries(Object.entries(outputs).map(([table, path]) => [table, store.absolute(path)]));
          for (const commit of commits) await commit(connection, absolute);
        });
        summaries.push({ ...summaryOf(record, errors.length) });
        progress.flush();
        emit(finishedEvent(record, errors.length));
        return { fingerprint, outputs };
      } catch (error) {
        const message = controller.signal.aborted ? 'interrupted' : error instanceof Error ? error.message : String(error);
        failure ??= `node '${nodeSpec.name}' failed: ${message}`;
        const record = outcome('failed', fingerprint, { message });
        await store.failNode(runId, record, errors).catch(() => undefined);
        summaries.push(summaryOf(record, errors.length));
        emit(finishedEvent(record, errors.length));
        controller.abort(new Error(failure));
        return null;
      }
    };

    const downstreamOfOnly = options.only ? downstreamOf(spec.nodes, options.only) : null;
    for (const nodeSpec of order) {
      if (downstreamOfOnly && nodeSpec.name !== options.only && downstreamOfOnly.has(nodeSpec.name)) {
        finished.set(nodeSpec.name, Promise.resolve(null)); // --only: downstream is left alone
        continue;
      }
      finished.set(nodeSpec.name, execute(nodeSpec));
    }
    await Promise.all(finished.values());
    if (!failure && options.signal?.aborted) failure = 'interrupted';
    const status = failure ? 'failed' : 'succeeded';
    try {
      await store.finishRun(runId, status, failure, options.updateLatest ?? !options.only);
    } catch (error) {
      // The first failure (a full disk in a node, say) is what the user needs to read, not only the last one.
      const cause = error instanceof Error ? error.message : String(error);
      throw new Error(`${failure ?? `run ${runId} finished`}, but the run could not be recorded as ${status}: ${cause}; the next \`mnemo run\` marks it interrupted, and \`mnemo run --resume ${runId}\` finishes it`);
    }
    const summary: RunSummary = { runId, status, message: failure, nodes: order.map((n) => summaries.find((s) => s.node === n.name)).filter((s): s is NodeSummary => Boolean(s)) };
    emit({ type: 'run-finished', runId, status, message: failure });
    return summary;
  } finally {
    if (options.keepCatalogOpen) keepCatalogsOpen(false);
    lock.release();
  }
}

function finishedEvent(outcome: NodeOutcome, errors: number) {
  return {
    type: 'node-finished', node: outcome.node, status: outcome.status as NodeStatus, reusedFrom: outcome.reusedFrom, alreadyDone: false,
    durationMs: outcome.finishedAt - outcome.startedAt, rows: outcome.rowsWritten, errors, message: outcome.message,
  } as const;
}

/** The progress handle a node gets: counts items and emits at most ten progress events a second. */
function progressEvents(node: string, emit: RunEventSink): ProgressHandle & { flush(): void } {
  const startedAt = Date.now();
  let done = 0;
  let total = 0;
  let lastEmitted = 0;
  const send = () => {
    lastEmitted = Date.now();
    emit({ type: 'node-progress', node, done, total, perSecond: done / Math.max((lastEmitted - startedAt) / 1000, 1e-3) });
  };
  return {
    total(count) {
      total = count;
      send();
    },
    advance(count = 1) {
      done += count;
      if (Date.now() - lastEmitted >= 100) send();
    },
    flush() {
      if (done > 0 || total > 0) send();
    },
  };
}

function summaryOf(outcome: NodeOutcome, errors: number): NodeSummary {
  return { node: outcome.node, status: outcome.status, reusedFrom: outcome.reusedFrom, durationMs: outcome.finishedAt - outcome.startedAt, rowsWritten: outcome.rowsWritten, errors, metadata: outcome.metadata };
}

function resolveInputs(nodeType: NodeType, upstream: Record<string, { outputs: Record<string, string> }>, store: Store): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const table of [...nodeType.inputs, ...(nodeType.optionalInputs ?? [])]) {
    const provider = Object.values(upstream).find((result) => result.outputs[table]);
    if (provider) inputs[table] = store.absolute(provider.outputs[table]!);
    else if (nodeType.inputs.includes(table)) throw new Error(`no upstream wrote table '${table}'`);
  }
  return inputs;
}

async function findResumableRun(store: Store, runId?: number) {
  if (!store.exists()) throw new NotResumableError('nothing to resume: no run has started yet');
  return store.read((catalog) => resumableRun(catalog, runId));
}
