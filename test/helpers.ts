// Shared test plumbing: temporary folders and the real CLI in a child process.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { repoRoot } from './fixtures.ts';

export const mnemoBin = join(repoRoot, 'bin', 'mnemo.js');

/** A fresh temporary folder, removed when the test file ends. */
export function tempDir(prefix = 'mnemo-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // A suite's own after hook (closing a server) may run after this one, so a last write can land mid-removal:
  // retry, and never throw, since a throwing hook would skip that close and leave the process hanging.
  after(() => {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } catch (error) {
      console.warn(`could not remove ${dir}: ${(error as Error).message}`);
    }
  });
  return dir;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], cwd: string): CliResult {
  const result = spawnSync(process.execPath, [mnemoBin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function runCliAsync(args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [mnemoBin, ...args], { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** True when this process can read a chmod 000 file (root can): such tests must skip. */
export const canReadUnreadable = process.getuid?.() === 0;

/** Every file under `dir` (recursively) with its SHA-256: compare two snapshots to prove nothing was written. */
export function fileDigests(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(path, createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return files;
}
