// One pipeline run per data folder at a time. The lock file names its holder;
// a lock left by a killed process (its PID is gone) is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export class RunLockedError extends Error {
  override name = 'RunLockedError';
}

export interface RunLock {
  release(): void;
}

export function acquireRunLock(dataDir: string, command: string): RunLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'run.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, command, startedAt: new Date().toISOString() }));
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(path);
      if (holder && isAlive(holder.pid)) {
        throw new RunLockedError(`another mnemo process (PID ${holder.pid}, \`${holder.command}\`, since ${holder.startedAt}) is running a pipeline on ${dataDir}; wait for it or stop it first`);
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new RunLockedError(`could not take the run lock ${path}`);
}

function readHolder(path: string): { pid: number; command: string; startedAt: string } | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
