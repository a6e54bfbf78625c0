// DuckDB's file lock is per process: two database instances of one process
// on the same file do not exclude each other, and two writers corrupt it. So
// within a process every open of a catalog file waits its turn here (nodes
// that run side by side commit one after the other).
import { resolve } from 'node:path';

const queues = new Map<string, Promise<unknown>>();

export async function withCatalogLock<T>(path: string, work: () => Promise<T>): Promise<T> {
  const key = resolve(path);
  const previous = queues.get(key) ?? Promise.resolve();
  const turn = previous.catch(() => undefined).then(work);
  const tail = turn.catch(() => undefined);
  queues.set(key, tail);
  try {
    return await turn;
  } finally {
    if (queues.get(key) === tail) queues.delete(key);
  }
}
