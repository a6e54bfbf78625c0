// One workbench per data folder: `mnemo serve` writes an instance file into
// the data folder once it listens (its PID, port, URL, since when, config),
// and removes it when it stops cleanly. A second `mnemo serve` on the same
// data folder, or on a port already taken, then says where the first one
// runs instead of failing obscurely. A file left by a killed process (its PID
// is gone, or nothing answers on its port) is stale and ignored.
// `mnemo service status` reads the same file.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../datasets/atomic-file.ts';
import { isAlive } from '../datasets/run-lock.ts';
import { conflict } from './errors.ts';

export const INSTANCE_FILE = 'workbench.instance.json';

export interface ServerInstance {
  pid: number;
  host: string;
  port: number;
  /** The URL to open, without the access token (that is never written to disk). */
  url: string;
  /** Whether the URL needs the token (a non-loopback host). */
  token: boolean;
  started_at: string;
  /** The pipeline spec, absolute; null when served with --data only. */
  config: string | null;
  data_dir: string;
  /** The `mnemo service run` that started this server and restarts it (Windows), if one did. */
  supervisor_pid?: number;
}

export const instancePath = (dataDir: string) => join(dataDir, INSTANCE_FILE);

/** The instance file as written, or null when there is none (or it is unreadable). */
export function readInstance(dataDir: string): ServerInstance | null {
  try {
    const value = JSON.parse(readFileSync(instancePath(dataDir), 'utf8')) as ServerInstance;
    return Number.isInteger(value?.pid) && Number.isInteger(value?.port) ? value : null;
  } catch {
    return null;
  }
}

/** The workbench running on `dataDir`, or null when none runs (no file, or a stale one). */
export async function liveInstance(dataDir: string): Promise<ServerInstance | null> {
  const instance = readInstance(dataDir);
  if (!instance || !isAlive(instance.pid)) return null;
  // The PID alone can be reused by another program after a crash: something must answer on the port too.
  return (await probe(instance.host, instance.port)) === 'refused' ? null : instance;
}

/** One line naming a running workbench: URL, PID, since when, config. */
export function describeInstance(instance: ServerInstance): string {
  const since = instance.started_at.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
  return `${instance.url}${instance.token ? ' (with its token)' : ''} (PID ${instance.pid}, since ${since}${instance.config ? `, config ${instance.config}` : ''})`;
}

const alreadyRunning = (instance: ServerInstance) =>
  conflict(`the workbench already runs on the data folder ${instance.data_dir}: ${describeInstance(instance)}; open that one, or stop it first (PID ${instance.pid})`);

/** Throws a conflict naming the workbench that already serves `dataDir`, if one does. */
export async function assertNoInstance(dataDir: string): Promise<void> {
  const instance = await liveInstance(dataDir);
  if (instance && instance.pid !== process.pid) throw alreadyRunning(instance);
}

/**
 * Writes this process's instance file (atomically, and never over a live
 * one's: two servers racing on one folder cannot both win). Returns the
 * release, which removes the file only while it is still this process's.
 */
export async function claimInstance(instance: Omit<ServerInstance, 'pid' | 'started_at'>): Promise<() => void> {
  // Started with an IPC channel: by `mnemo service run`, which uninstall must stop first.
  const supervisor = process.send ? { supervisor_pid: process.ppid } : {};
  const mine: ServerInstance = { pid: process.pid, started_at: new Date().toISOString(), ...instance, ...supervisor };
  const path = instancePath(instance.data_dir);
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFileAtomic(path, `${JSON.stringify(mine, null, 2)}\n`, { replace: false });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw error;
      const other = await liveInstance(instance.data_dir);
      if (other && other.pid !== process.pid) throw alreadyRunning(other);
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  return () => {
    const current = readInstance(instance.data_dir);
    if (current?.pid === mine.pid && current.started_at === mine.started_at) rmSync(path, { force: true });
  };
}

/**
 * The message for a port that is already taken: by another workbench (it
 * answers /api/health with its data folder) or by some other program.
 */
export async function portInUseMessage(host: string, port: number): Promise<string> {
  const health = await probe(host, port);
  if (typeof health === 'object' && typeof health.dataDir === 'string') {
    const instance = await liveInstance(health.dataDir);
    const where = instance ? describeInstance(instance) : `http://${hostInUrl(host)}:${port}/`;
    return `port ${port} is taken by another mnemo workbench, serving the data folder ${health.dataDir}: ${where}; open that one, or choose another port with --port`;
  }
  return `port ${port} on ${host} is in use by another program; choose another port with --port (e.g. --port ${port === 65535 ? port - 1 : port + 1})`;
}

export const hostInUrl = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/** What answers on host:port: 'refused' (nothing), a workbench's health, or 'other'. */
async function probe(host: string, port: number): Promise<'refused' | 'other' | { dataDir?: unknown }> {
  const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  try {
    const response = await fetch(`http://${hostInUrl(target)}:${port}/api/health`, { signal: AbortSignal.timeout(2000), headers: { 'x-mnemo': '1' } });
    if (!response.ok) return 'other';
    const body = (await response.json().catch(() => null)) as { dataDir?: unknown } | null;
    return body && typeof body === 'object' ? body : 'other';
  } catch (error) {
    const code = ((error as { cause?: { code?: string } }).cause?.code) ?? '';
    return code === 'ECONNREFUSED' || code === 'EADDRNOTAVAIL' ? 'refused' : 'other';
  }
}
