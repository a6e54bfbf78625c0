// A generic worker_threads pool. Work that blocks its JS thread (onnxruntime's
// run(), hnswlib) only runs in parallel in workers; this pool queues tasks,
// keeps one task per worker, and moves typed arrays without copying.
//
// Main side:   const pool = new WorkerPool<In, Out>(new URL('./my-worker.ts', import.meta.url));
//              const out = await pool.run(task, [task.bytes.buffer]); await pool.close();
// Worker side: serveTasks<In, Out>(async (task) => ({ result, transferList: [result.data.buffer] }));
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, type TransferListItem } from 'node:worker_threads';

export interface WorkerPoolOptions {
  /** Number of workers; default os.availableParallelism(). Workers start on demand. */
  size?: number;
  /** Passed to every worker as worker_threads' `workerData` (structured-cloned). */
  workerData?: unknown;
}

/** What a worker's task handler returns: the result and the buffers to move rather than copy. */
export interface TaskReply<TaskOut> {
  result: TaskOut;
  transferList?: TransferListItem[];
}

interface TaskMessage<TaskIn> {
  id: number;
  task: TaskIn;
}

type ReplyMessage<TaskOut> = { id: number; ok: true; result: TaskOut } | { id: number; ok: false; error: string };

interface QueuedTask<TaskIn, TaskOut> {
  id: number;
  task: TaskIn;
  transferList: readonly TransferListItem[];
  resolve: (value: TaskOut) => void;
  reject: (error: Error) => void;
}

interface Slot<TaskIn, TaskOut> {
  worker: Worker;
  current: QueuedTask<TaskIn, TaskOut> | null;
}

export class WorkerPool<TaskIn, TaskOut> {
  readonly size: number;
  /** FIFO of waiting tasks; `queueHead` avoids shift(), which is O(n) per call with 100k photos queued. */
  private queue: (QueuedTask<TaskIn, TaskOut> | undefined)[] = [];
  private queueHead = 0;
  private readonly slots = new Set<Slot<TaskIn, TaskOut>>();
  private readonly unsettled = new Set<Promise<unknown>>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly workerFile: URL,
    private readonly options: WorkerPoolOptions = {},
  ) {
    this.size = Math.max(1, options.size ?? availableParallelism());
  }

  /** Tasks waiting for a free worker. */
  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  /** Workers currently alive (started lazily, replaced after a crash). */
  get workers(): number {
    return this.slots.size;
  }

  /**
   * Runs one task on the next free worker. Buffers in transferList are moved to
   * the worker (unusable here afterwards). Rejects with the worker's message if
   * the task throws, or if the worker dies while running it.
   */
  run(task: TaskIn, transferList: readonly TransferListItem[] = []): Promise<TaskOut> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'));
    const promise = new Promise<TaskOut>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, transferList, resolve, reject });
    });
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.unsettled.add(settled);
    void settled.then(() => this.unsettled.delete(settled));
    this.dispatch();
    return promise;
  }

  /** Refuses new tasks, lets queued and running ones finish, then stops the workers. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.unsettled.size > 0) await Promise.all([...this.unsettled]);
    const slots = [...this.slots];
    this.slots.clear();
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queued > 0) {
      let slot = [...this.slots].find((s) => s.current === null);
      if (!slot && this.slots.size < this.size) slot = this.spawn();
      if (!slot) return;
      const next = this.takeNext();
      slot.current = next;
      const message: TaskMessage<TaskIn> = { id: next.id, task: next.task };
      try {
        slot.worker.postMessage(message, next.transferList);
      } catch (error) {
        // An uncloneable task fails alone; the worker never saw it.
        slot.current = null;
        next.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  private takeNext(): QueuedTask<TaskIn, TaskOut> {
    const next = this.queue[this.queueHead]!;
    this.queue[this.queueHead++] = undefined; // let it be collected
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return next;
  }

  private spawn(): Slot<TaskIn, TaskOut> {
    const worker = new Worker(workerEntry(this.workerFile), { workerData: this.options.workerData });
    const slot: Slot<TaskIn, TaskOut> = { worker, current: null };
    worker.on('message', (reply: ReplyMessage<TaskOut>) => {
      const task = slot.current;
      if (!task || task.id !== reply.id) return;
      slot.current = null;
      if (reply.ok) task.resolve(reply.result);
      else task.reject(new Error(reply.error));
      this.dispatch();
    });
    worker.on('error', (error: Error) => this.retire(slot, `worker crashed: ${error.message}`));
    worker.on('exit', (code) => this.retire(slot, `worker exited with code ${code}`));
    this.slots.add(slot);
    return slot;
  }

  /** A dead worker: fail only its own task, and let dispatch start a replacement if work remains. */
  private retire(slot: Slot<TaskIn, TaskOut>, reason: string): void {
    if (!this.slots.delete(slot)) return; // 'exit' after 'error', or a terminate() from close()
    slot.current?.reject(new Error(reason));
    slot.current = null;
    void slot.worker.terminate();
    this.dispatch();
  }
}

/**
 * The URL to start a worker from. Node 20 ignores ESM loaders given in a
 * Worker's execArgv (nodejs/node#47747), so a .ts worker starts from a small
 * data: module that registers tsx in the new thread, then imports the file.
 * Compiled to dist/ (scripts/build.mjs), callers still name their worker
 * `new URL('./x.ts', import.meta.url)`, which then points into dist/ where the
 * compiled x.js is what exists: that runs directly.
 */
export function workerEntry(workerFile: URL): URL {
  if (!workerFile.pathname.endsWith('.ts')) return workerFile;
  if (import.meta.url.endsWith('.js') && workerFile.protocol === 'file:') {
    const compiled = new URL(workerFile);
    compiled.pathname = `${compiled.pathname.slice(0, -3)}.js`;
    if (existsSync(compiled)) return compiled;
  }
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import { register } from ${JSON.stringify(tsxApi)};\nregister();\nawait import(${JSON.stringify(workerFile.href)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}

/**
 * Worker side: answers the pool's task messages with `handle`. A throw becomes
 * that task's rejection (with the message); the worker keeps serving.
 */
export function serveTasks<TaskIn, TaskOut>(handle: (task: TaskIn) => Promise<TaskReply<TaskOut>> | TaskReply<TaskOut>): void {
  if (isMainThread || !parentPort) throw new Error('serveTasks must be called inside a worker thread');
  const port = parentPort;
  port.on('message', async ({ id, task }: TaskMessage<TaskIn>) => {
    try {
      const { result, transferList = [] } = await handle(task);
      const reply: ReplyMessage<TaskOut> = { id, ok: true, result };
      port.postMessage(reply, transferList);
    } catch (error) {
      const reply: ReplyMessage<TaskOut> = { id, ok: false, error: error instanceof Error ? error.message : String(error) };
      port.postMessage(reply);
    }
  });
}

/** What a one-shot worker posts: progress reports, then one result or one error. */
export type OneShotMessage<Progress, Result> = ({ type: 'progress' } & Progress) | ({ type: 'done' } & Result) | { type: 'error'; message: string };

/**
 * Runs one job in a worker of its own (a blocking library such as hnswlib or
 * a UMAP loop), forwarding its progress; aborting `signal` terminates it.
 */
export function runInWorker<Progress, Result>(
  workerFile: URL,
  workerData: unknown,
  options: { label: string; signal?: AbortSignal; onProgress?: (progress: Progress) => void },
): Promise<Result> {
  options.signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerEntry(workerFile), { workerData });
    let settled = false;
    const finish = (action: () => void): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      action();
    };
    const onAbort = (): void => {
      void worker.terminate();
      finish(() => reject(options.signal?.reason ?? new Error('aborted')));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: OneShotMessage<Progress, Result>) => {
      if (message.type === 'progress') options.onProgress?.(message);
      else if (message.type === 'error') finish(() => reject(new Error(`${options.label}: ${message.message}`)));
      else finish(() => resolve(message));
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) => finish(() => reject(new Error(`${options.label} exited with code ${code} before finishing`))));
  });
}
