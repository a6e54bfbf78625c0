// This file is both the test (main thread) and its own generic worker (worker
// threads): the pool starts it again in a worker, where it serves tasks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, threadId, workerData } from 'node:worker_threads';
import { WorkerPool, serveTasks } from '../dag/worker-pool.ts';
import { facesFixtures, skipUnless } from './fixtures.ts';

type Task =
  | { kind: 'scale'; values: Float32Array; factor: number }
  | { kind: 'sleep'; ms: number }
  | { kind: 'throw'; message: string }
  | { kind: 'crash' }
  | { kind: 'workerData' };

interface Output {
  threadId: number;
  values?: Float32Array;
  /** Whether the task's input array still had its data when it arrived (moved, not emptied). */
  receivedLength?: number;
  workerData?: unknown;
  /** Wall-clock interval of a sleep task (ms since the epoch). */
  startedAt?: number;
  endedAt?: number;
}

const now = (): number => performance.timeOrigin + performance.now();

if (!isMainThread) {
  serveTasks<Task, Output>(async (task) => {
    switch (task.kind) {
      case 'scale': {
        const values = task.values.map((v) => v * task.factor);
        return { result: { threadId, values, receivedLength: task.values.length }, transferList: [values.buffer] };
      }
      case 'sleep': {
        const startedAt = now();
        await new Promise((resolve) => setTimeout(resolve, task.ms));
        return { result: { threadId, startedAt, endedAt: now() } };
      }
      case 'throw':
        throw new Error(task.message);
      case 'crash':
        // An exception outside the task handler kills the worker.
        setImmediate(() => {
          throw new Error('worker blew up');
        });
        return new Promise<never>(() => undefined);
      case 'workerData':
        return { result: { threadId, workerData } };
    }
  });
} else {
  const selfUrl = new URL(import.meta.url);

  test('runs tasks on two workers in parallel and queues the rest', async () => {
    const pool = new WorkerPool<Task, Output>(selfUrl, { size: 2 });
    try {
      // Start both workers first: under load one thread can take longer than a task to boot.
      await Promise.all([pool.run({ kind: 'sleep', ms: 1 }), pool.run({ kind: 'sleep', ms: 1 })]);
      const tasks = Array.from({ length: 4 }, () => pool.run({ kind: 'sleep', ms: 300 }));
      assert.equal(pool.queued, 2, 'two tasks wait while two run');
      const results = await Promise.all(tasks);
      assert.equal(new Set(results.map((r) => r.threadId)).size, 2, 'both workers took tasks');
      assert.ok(!results.some((r) => r.threadId === 0), 'no task ran on the main thread');
      assert.equal(pool.workers, 2);
      // The first two ran at the same time; each worker ran its tasks one after the other.
      const [a, b] = results;
      assert.ok(a!.startedAt! < b!.endedAt! && b!.startedAt! < a!.endedAt!, 'first two tasks overlapped');
      for (const id of new Set(results.map((r) => r.threadId))) {
        const [first, second] = results.filter((r) => r.threadId === id);
        assert.ok(second!.startedAt! >= first!.endedAt! - 1, 'one task at a time per worker');
      }
    } finally {
      await pool.close();
    }
  });

  test('moves a Float32Array to the worker and back', async () => {
    const pool = new WorkerPool<Task, Output>(selfUrl, { size: 1 });
    try {
      const values = new Float32Array([1, 2, 3, 4.5]);
      const result = await pool.run({ kind: 'scale', values, factor: 2 }, [values.buffer]);
      assert.equal(values.length, 0, 'the input buffer was transferred, not copied');
      assert.equal(result.receivedLength, 4);
      assert.ok(result.values instanceof Float32Array);
      assert.deepEqual(Array.from(result.values), [2, 4, 6, 9]);
    } finally {
      await pool.close();
    }
  });

  test('thousands of queued tasks all complete, each with its own result', async () => {
    const pool = new WorkerPool<Task, Output>(selfUrl, { size: 2 });
    try {
      const results = await Promise.all(
        Array.from({ length: 3000 }, (_, i) => pool.run({ kind: 'scale', values: new Float32Array([i]), factor: 2 })),
      );
      results.forEach((r, i) => assert.equal(r.values![0], 2 * i));
      assert.equal(pool.queued, 0);
    } finally {
      await pool.close();
    }
  });

  test('a throwing task rejects with its message while the others succeed', async () => {
    const pool = new WorkerPool<Task, Output>(selfUrl, { size: 2 });
    try {
      const outcomes = await Promise.allSettled([
        pool.run({ kind: 'sleep', ms: 10 }),
        pool.run({ kind: 'throw', message: 'bad photo 42' }),
        pool.run({ kind: 'sleep', ms: 10 }),
        pool.run({ kind: 'scale', values: new Float32Array([1]), factor: 3 }),
      ]);
      assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      const rejected = outcomes[1] as PromiseRejectedResult;
      assert.equal((rejected.reason as Error).message, 'bad photo 42');
      assert.equal(pool.workers, 2, 'a task error does not cost a worker');
    } finally {
      await pool.close();
    }
  });

  test('a crashed worker rejects its task and is replaced', async () => {
    const pool = new WorkerPool<Task, Output>(selfUrl, { size: 1 });
    try {
      const before = await pool.run({ kind: 'sleep', ms: 1 });
      const crashed = pool.run({ kind: 'crash' });
      const queued = pool.run({ kind: 'sleep', ms: 1 });
      await assert.rejects(crashed, /worker crashed: worker blew up/);
      const after = await queued;
      assert.notEqual(after.threadId, before.threadId, 'a new worker ran the queued task');
    } finally {
      await pool.close();
    }
  });

  test('workerData reaches the workers; close() drains, then refuses new tasks', async () => {
    const pool = new WorkerPool<Task, Output>(selfUrl, { size: 1, workerData: { model: 'x', n: 3 } });
    const pending = pool.run({ kind: 'workerData' });
    const closing = pool.close();
    assert.deepEqual((await pending).workerData, { model: 'x', n: 3 });
    await closing;
    assert.equal(pool.workers, 0);
    await assert.rejects(pool.run({ kind: 'sleep', ms: 1 }), /closed/);
  });

  test('a worker file that fails to load rejects the task instead of hanging', async () => {
    const pool = new WorkerPool<Task, Output>(new URL('./no-such-worker.ts', import.meta.url), { size: 1 });
    try {
      await assert.rejects(pool.run({ kind: 'sleep', ms: 1 }), /worker crashed/);
    } finally {
      await pool.close();
    }
  });

  test('the face worker returns the same faces as in-thread analysis', { skip: skipUnless(facesFixtures) }, async () => {
    const { FACE_WORKER_URL, FaceAnalyzer, unpackFaces } = await import('../models/face-analyzer.ts');
    const { decodePhoto } = await import('../imaging/image.ts');
    type FaceWorkerTask = import('../models/face-worker.ts').FaceWorkerTask;
    type FaceWorkerResult = import('../models/face-worker.ts').FaceWorkerResult;

    const path = join(facesFixtures, 'two_people.jpg');
    const analyzer = await FaceAnalyzer.create();
    const local = (await analyzer.analyze(await decodePhoto(path))).faces;
    await analyzer.release();

    const pool = new WorkerPool<FaceWorkerTask, FaceWorkerResult>(FACE_WORKER_URL, { size: 1 });
    try {
      const bytes = new Uint8Array(readFileSync(path));
      const [result, fromBytes, missing] = await Promise.all([
        pool.run({ path }),
        pool.run({ bytes }, [bytes.buffer]),
        pool.run({ path: join(facesFixtures, 'missing.jpg') }),
      ]);
      assert.ok(result.ok);
      assert.ok(result.faces.embeddings instanceof Float32Array);
      assert.equal(result.faces.embeddings.length, 2 * 512, 'embeddings packed into one array');
      assert.ok(result.timings.decodeMs > 0 && result.timings.embedMs > 0);
      const remote = unpackFaces(result.faces);
      assert.equal(remote.length, local.length);
      remote.forEach((face, i) => {
        assert.deepEqual(face.embedding, local[i]!.embedding);
        assert.ok(Math.abs(face.x1 - local[i]!.x1) < 1e-3 && Math.abs(face.y2 - local[i]!.y2) < 1e-3);
      });
      assert.ok(fromBytes.ok);
      assert.deepEqual(fromBytes.faces.embeddings, result.faces.embeddings, 'bytes and path give the same faces');
      assert.equal(missing.ok, false, 'a file that cannot be decoded is an error result');
      assert.ok(!missing.ok && /vanished.*ENOENT/.test(missing.error));
    } finally {
      await pool.close();
    }
  });
}
