// `mnemo service`: the workbench started at login, in the background, for
// this user only and without admin rights: a systemd user unit (Linux), a
// per-user Task Scheduler task (Windows), a LaunchAgent (macOS). The file
// texts are app/service-files.ts (pure); this is the thin layer that writes
// them and runs systemctl, schtasks or launchctl through a CommandRunner, so
// tests can run every system's steps against a temporary home.
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../datasets/atomic-file.ts';
import { invalid, notFound } from './errors.ts';
import { describeInstance, liveInstance, readInstance, type ServerInstance } from './server-instance.ts';
import {
  decodeText, LAUNCHD_LABEL, launchdPlist, readRecord, SYSTEMD_UNIT, systemdUnit, taskName, utf16le, windowsTaskXml,
  type ServiceRecord, type ServiceSpec,
} from './service-files.ts';

export interface CommandResult {
  /** The exit code; 127 when the program is not there. */
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program (no shell) and collects its output. */
export type CommandRunner = (command: string, args: readonly string[]) => Promise<CommandResult>;

export const systemRunner: CommandRunner = (command, args) =>
  new Promise((done) => {
    execFile(command, args, { encoding: 'utf8', windowsHide: true, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
      done({ code, stdout, stderr: stderr || (error && typeof error.code !== 'number' ? error.message : '') });
    });
  });

export type ServicePlatform = 'linux' | 'win32' | 'darwin';

/** Everything the service layer takes from the machine, explicit so tests can set each. */
export interface ServiceEnvironment {
  platform: ServicePlatform;
  home: string;
  /** Linux: $XDG_CONFIG_HOME, default ~/.config. */
  configHome: string;
  /** Windows: %LOCALAPPDATA%. */
  localAppData: string;
  /** Windows: DOMAIN\user; elsewhere the user name. */
  user: string;
  /** macOS: the launchd domain is gui/<uid>. */
  uid: number;
  node: string;
  script: string;
  /** Windows: %SystemRoot%\System32\conhost.exe. */
  conhost: string;
  run: CommandRunner;
}

/** This machine, this user, this node and this package's bin/mnemo.js. */
export function currentEnvironment(run: CommandRunner = systemRunner): ServiceEnvironment {
  const platform = process.platform === 'win32' || process.platform === 'darwin' ? process.platform : 'linux';
  const home = homedir();
  const name = process.env.USERNAME ?? process.env.USER ?? userInfo().username;
  return {
    platform,
    home,
    configHome: process.env.XDG_CONFIG_HOME || join(home, '.config'),
    localAppData: process.env.LOCALAPPDATA || join(home, 'AppData', 'Local'),
    user: platform === 'win32' && process.env.USERDOMAIN ? `${process.env.USERDOMAIN}\\${name}` : name,
    uid: process.getuid?.() ?? 0,
    node: process.execPath,
    script: packageScript(),
    conhost: join(process.env.SystemRoot || 'C:\\Windows', 'System32', 'conhost.exe'),
    run,
  };
}

/** bin/mnemo.js of this package, from the sources or the compiled dist/ alike. */
function packageScript(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'bin', 'mnemo.js');
}

/** Where each system keeps what install writes. */
export function servicePaths(env: ServiceEnvironment): { file: string; logFile: string; name: string; extra: string[] } {
  switch (env.platform) {
    case 'linux': {
      const dir = join(env.configHome, 'systemd', 'user');
      // `enable` links the unit into default.target.wants: uninstall removes that too.
      return { file: join(dir, SYSTEMD_UNIT), logFile: '', name: SYSTEMD_UNIT, extra: [join(dir, 'default.target.wants', SYSTEMD_UNIT)] };
    }
    case 'win32': {
      const name = taskName(env.user);
      return { file: join(env.localAppData, 'mnemo', 'service', `${name}.xml`), logFile: join(env.localAppData, 'mnemo', 'logs', 'workbench.log'), name, extra: [] };
    }
    case 'darwin':
      return { file: join(env.home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`), logFile: join(env.home, 'Library', 'Logs', 'mnemo', 'workbench.log'), name: LAUNCHD_LABEL, extra: [] };
  }
}

export interface InstallOptions {
  config: string;
  port: number;
  /** Linux: start at boot without a login (`loginctl enable-linger`). */
  atBoot?: boolean;
  /** How long to wait for the workbench to answer after starting it (default 20 s; 0: do not wait). */
  waitMs?: number;
}

export interface ServiceReport {
  /** What happened, one line each, for the terminal. */
  lines: string[];
}

function describe(result: CommandResult): string {
  return (result.stderr || result.stdout).trim().split('\n')[0] || `exit code ${result.code}`;
}

async function must(env: ServiceEnvironment, command: string, args: string[]): Promise<CommandResult> {
  const result = await env.run(command, args);
  if (result.code !== 0) throw invalid(`\`${command} ${args.join(' ')}\` failed: ${describe(result)}`);
  return result;
}

function readIfThere(path: string): string | null {
  try {
    return decodeText(readFileSync(path));
  } catch {
    return null;
  }
}

/** The installed file's record, or null when nothing (of mnemo's) is installed. */
export function installedRecord(env: ServiceEnvironment): { file: string; record: ServiceRecord | null } | null {
  const { file } = servicePaths(env);
  const text = readIfThere(file);
  return text === null ? null : { file, record: readRecord(text) };
}

/** The description of what to install, checked: the config must exist and name a data folder. */
export async function serviceSpec(env: ServiceEnvironment, options: InstallOptions): Promise<ServiceSpec> {
  const config = resolve(options.config);
  if (!existsSync(config)) throw invalid(`no pipeline spec at ${config}: write one with \`mnemo init FOLDER\`, or name it with --config`);
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw invalid(`--port must be from 1 to 65535 (got ${options.port})`);
  const { readDataDir } = await import('../dag/spec.ts');
  return {
    node: env.node, script: env.script, config, port: options.port, dataDir: readDataDir(config), workingDir: dirname(config),
    user: env.user, logFile: servicePaths(env).logFile, conhost: env.conhost,
  };
}

// ---------------------------------------------------------------- install

export async function installService(env: ServiceEnvironment, options: InstallOptions): Promise<ServiceReport> {
  const spec = await serviceSpec(env, options);
  // A workbench started by hand on this data folder keeps the service's from starting (one per data folder).
  const byHand = installedRecord(env) ? null : await liveInstance(spec.dataDir);
  const lines = await { linux: installLinux, win32: installWindows, darwin: installMac }[env.platform](env, spec, options);
  if (byHand) {
    lines.push(`note: a workbench already runs on this data folder: ${describeInstance(byHand)}; the service's cannot start while it runs: stop that one (Ctrl-C in its terminal, or kill ${byHand.pid}), then run \`mnemo service install\` again`);
    return { lines };
  }
  const waitMs = options.waitMs ?? 20_000;
  if (waitMs > 0) {
    const instance = await waitForInstance(spec.dataDir, waitMs);
    lines.push(instance ? `the workbench runs: ${describeInstance(instance)}` : `the workbench does not answer yet (after ${Math.round(waitMs / 1000)} s): see \`mnemo service logs\``);
  }
  return { lines };
}

async function waitForInstance(dataDir: string, waitMs: number): Promise<ServerInstance | null> {
  const until = Date.now() + waitMs;
  for (;;) {
    const instance = await liveInstance(dataDir);
    if (instance || Date.now() >= until) return instance;
    await new Promise((wait) => setTimeout(wait, 250));
  }
}

/** Writes `text` when it differs; says whether the file was new, changed or the same. */
async function place(path: string, bytes: Buffer): Promise<'new' | 'changed' | 'same'> {
  let before: Buffer | null = null;
  try {
    before = readFileSync(path);
  } catch {
    // not there yet
  }
  if (before?.equals(bytes)) return 'same';
  await writeFileAtomic(path, bytes);
  return before ? 'changed' : 'new';
}

const placed = { new: 'installed', changed: 'updated', same: 'already installed, unchanged' } as const;

async function systemdReachable(env: ServiceEnvironment): Promise<void> {
  const probe = await env.run('systemctl', ['--user', 'show-environment']);
  if (probe.code !== 0) {
    throw invalid(`the systemd user manager cannot be reached (\`systemctl --user\`: ${describe(probe)}); it runs in a desktop or SSH login session of this user; nothing was installed`);
  }
}

async function lingerIsOn(env: ServiceEnvironment): Promise<boolean> {
  const result = await env.run('loginctl', ['show-user', env.user, '--property=Linger', '--value']);
  return result.code === 0 && result.stdout.trim() === 'yes';
}

async function installLinux(env: ServiceEnvironment, spec: ServiceSpec, options: InstallOptions): Promise<string[]> {
  await systemdReachable(env);
  const { file } = servicePaths(env);
  const previous = readRecord(readIfThere(file) ?? '');
  const lines: string[] = [];
  // Linger is this install's only if it turned it on (or an earlier install did).
  let linger = false;
  if (options.atBoot) {
    linger = previous?.linger === true || !(await lingerIsOn(env));
    if (linger) await must(env, 'loginctl', ['enable-linger', env.user]);
    lines.push(`starts at boot, without a login (linger ${linger ? 'turned on' : 'was already on'})`);
  } else if (previous?.linger) {
    await must(env, 'loginctl', ['disable-linger', env.user]);
    lines.push('no longer starts at boot, only at login (linger turned off)');
  }
  const state = await place(file, Buffer.from(systemdUnit({ ...spec, linger })));
  await must(env, 'systemctl', ['--user', 'daemon-reload']);
  await env.run('systemctl', ['--user', 'reset-failed', SYSTEMD_UNIT]); // a unit that gave up (start limit) starts again
  await must(env, 'systemctl', ['--user', 'enable', '--now', SYSTEMD_UNIT]);
  if (state === 'changed') await must(env, 'systemctl', ['--user', 'restart', SYSTEMD_UNIT]);
  lines.unshift(`${placed[state]}: ${file} (systemd user unit ${SYSTEMD_UNIT}, enabled and started${state === 'changed' ? ', restarted' : ''}; it starts at login)`);
  return lines;
}

async function installWindows(env: ServiceEnvironment, spec: ServiceSpec): Promise<string[]> {
  const { file, name } = servicePaths(env);
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const previous = readRecord(readIfThere(file) ?? '');
  const state = await place(file, utf16le(windowsTaskXml(spec)));
  await must(env, 'schtasks', ['/Create', '/XML', file, '/TN', name, '/F']);
  if (state === 'changed') {
    // The old one stops; the new one starts below.
    await env.run('schtasks', ['/End', '/TN', name]);
    await stopLeftover(previous);
  }
  await must(env, 'schtasks', ['/Run', '/TN', name]); // a second start while it runs is ignored (IgnoreNew)
  return [`${placed[state]}: task ${name} (its definition: ${file}), started; it starts at logon of ${env.user}`, `logs: ${spec.logFile}`];
}

async function installMac(env: ServiceEnvironment, spec: ServiceSpec): Promise<string[]> {
  const { file } = servicePaths(env);
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const state = await place(file, Buffer.from(launchdPlist(spec)));
  const target = `gui/${env.uid}/${LAUNCHD_LABEL}`;
  const loaded = (await env.run('launchctl', ['print', target])).code === 0;
  if (loaded && state !== 'same') await env.run('launchctl', ['bootout', target]);
  if (!loaded || state !== 'same') await must(env, 'launchctl', ['bootstrap', `gui/${env.uid}`, file]);
  return [`${placed[state]}: ${file} (LaunchAgent ${LAUNCHD_LABEL}, loaded; it starts at login)`, `logs: ${spec.logFile}`];
}

// ---------------------------------------------------------------- uninstall

export async function uninstallService(env: ServiceEnvironment): Promise<ServiceReport> {
  const installed = installedRecord(env);
  if (!installed) return { lines: [`not installed (no ${servicePaths(env).file}): nothing to remove`] };
  const lines = await { linux: uninstallLinux, win32: uninstallWindows, darwin: uninstallMac }[env.platform](env, installed.record);
  return { lines };
}

/**
 * Windows: ending a task may leave its node processes behind. Stops the
 * workbench the record describes, if it still runs: its supervisor first
 * (or it would restart it), then the server.
 */
async function stopLeftover(record: ServiceRecord | null): Promise<string[]> {
  const instance = record ? await liveInstance(record.dataDir) : null;
  if (!instance || instance.config !== record?.config || instance.port !== record.port) return [];
  for (const pid of [instance.supervisor_pid, instance.pid]) {
    try {
      if (pid) process.kill(pid, 'SIGTERM');
    } catch {
      // gone meanwhile
    }
  }
  return [`stopped the workbench left running (PID ${instance.pid})`];
}

async function uninstallLinux(env: ServiceEnvironment, record: ServiceRecord | null): Promise<string[]> {
  const { file, extra } = servicePaths(env);
  const lines: string[] = [];
  const disabled = await env.run('systemctl', ['--user', 'disable', '--now', SYSTEMD_UNIT]);
  if (disabled.code !== 0) lines.push(`note: \`systemctl --user disable --now ${SYSTEMD_UNIT}\` failed (${describe(disabled)}); the files are removed anyway`);
  for (const path of [file, ...extra]) rmSync(path, { force: true });
  if (disabled.code === 0) {
    await env.run('systemctl', ['--user', 'daemon-reload']);
    await env.run('systemctl', ['--user', 'reset-failed', SYSTEMD_UNIT]);
  }
  if (record?.linger) {
    const off = await env.run('loginctl', ['disable-linger', env.user]);
    lines.push(off.code === 0 ? 'linger turned off (install had turned it on)' : `note: \`loginctl disable-linger\` failed: ${describe(off)}`);
  }
  lines.unshift(`uninstalled: stopped and disabled ${SYSTEMD_UNIT}, removed ${file}`);
  return lines;
}

async function uninstallWindows(env: ServiceEnvironment, record: ServiceRecord | null): Promise<string[]> {
  const { file, name } = servicePaths(env);
  await env.run('schtasks', ['/End', '/TN', name]);
  const deleted = await env.run('schtasks', ['/Delete', '/TN', name, '/F']);
  rmSync(file, { force: true });
  const lines = [`uninstalled: ${deleted.code === 0 ? `ended and deleted task ${name}` : `task ${name} was not registered`}, removed ${file}`, ...(await stopLeftover(record))];
  if (record?.logFile && existsSync(record.logFile)) lines.push(`its log stays: ${record.logFile}`);
  return lines;
}

async function uninstallMac(env: ServiceEnvironment, record: ServiceRecord | null): Promise<string[]> {
  const { file } = servicePaths(env);
  await env.run('launchctl', ['bootout', `gui/${env.uid}/${LAUNCHD_LABEL}`]);
  rmSync(file, { force: true });
  const lines = [`uninstalled: unloaded ${LAUNCHD_LABEL}, removed ${file}`];
  if (record?.logFile && existsSync(record.logFile)) lines.push(`its log stays: ${record.logFile}`);
  return lines;
}

// ---------------------------------------------------------------- status

export interface ServiceStatus {
  platform: ServicePlatform;
  installed: boolean;
  /** The unit, task definition or plist. */
  file: string;
  config: string | null;
  port: number | null;
  dataDir: string | null;
  /** What systemd, Task Scheduler or launchd says: its own words. */
  manager: { state: string; since: string | null; pid: number | null } | null;
  /** The workbench answering on the data folder, or null. */
  server: ServerInstance | null;
  /** How to read the logs. */
  logs: string;
}

/** The status; `config` (default mnemo.yaml) names the data folder to look at when nothing is installed. */
export async function serviceStatus(env: ServiceEnvironment, config?: string): Promise<ServiceStatus> {
  const installed = installedRecord(env);
  const record = installed?.record ?? null;
  let dataDir = record?.dataDir ?? null;
  if (!dataDir && config && existsSync(config)) dataDir = await import('../dag/spec.ts').then((spec) => spec.readDataDir(config)).catch(() => null);
  const { file, name, logFile } = servicePaths(env);
  const status: ServiceStatus = {
    platform: env.platform, installed: installed !== null, file,
    config: record?.config ?? null, port: record?.port ?? null, dataDir,
    manager: installed ? await managerState(env, name) : null,
    server: dataDir ? await liveInstance(dataDir) : null,
    logs: env.platform === 'linux' ? `journalctl --user-unit=${SYSTEMD_UNIT}` : (record?.logFile ?? logFile),
  };
  return status;
}

async function managerState(env: ServiceEnvironment, name: string): Promise<ServiceStatus['manager']> {
  if (env.platform === 'linux') {
    const result = await env.run('systemctl', ['--user', 'show', SYSTEMD_UNIT, '--property=ActiveState,SubState,UnitFileState,MainPID,ActiveEnterTimestamp,NRestarts']);
    if (result.code !== 0) return { state: `unknown (${describe(result)})`, since: null, pid: null };
    const props = Object.fromEntries(result.stdout.split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()]));
    const pid = Number(props.MainPID) || null;
    const restarts = Number(props.NRestarts) > 0 ? `, restarted ${props.NRestarts} times` : '';
    return { state: `${props.ActiveState ?? '?'} (${props.SubState ?? '?'}), ${props.UnitFileState ?? '?'}${restarts}`, since: props.ActiveState === 'active' ? props.ActiveEnterTimestamp || null : null, pid };
  }
  if (env.platform === 'win32') {
    const result = await env.run('schtasks', ['/Query', '/TN', name, '/FO', 'CSV', '/NH']);
    if (result.code !== 0) return { state: `not registered (${describe(result)})`, since: null, pid: null };
    const fields = result.stdout.trim().split('\n').at(-1)?.match(/"([^"]*)"/g)?.map((field) => field.slice(1, -1)) ?? [];
    return { state: `task ${fields[2] ?? result.stdout.trim()}`, since: null, pid: null };
  }
  const result = await env.run('launchctl', ['print', `gui/${env.uid}/${LAUNCHD_LABEL}`]);
  if (result.code !== 0) return { state: 'not loaded', since: null, pid: null };
  const state = /^\s*state = (.+)$/m.exec(result.stdout)?.[1] ?? 'loaded';
  const pid = Number(/^\s*pid = (\d+)$/m.exec(result.stdout)?.[1]) || null;
  return { state, since: null, pid };
}

export function formatStatus(status: ServiceStatus): string[] {
  const lines = [status.installed ? `installed: ${status.file}` : `not installed (no ${status.file})`];
  if (status.config) lines.push(`config: ${status.config}, port ${status.port}`);
  if (status.manager) lines.push(`${{ linux: 'systemd', win32: 'Task Scheduler', darwin: 'launchd' }[status.platform]}: ${status.manager.state}${status.manager.pid ? `, PID ${status.manager.pid}` : ''}${status.manager.since ? `, since ${status.manager.since}` : ''}`);
  if (status.server) lines.push(`running: ${describeInstance(status.server)}`);
  else if (status.dataDir) {
    const stale = readInstance(status.dataDir);
    lines.push(`not running${stale ? ` (last seen at ${stale.url}, PID ${stale.pid}, started ${stale.started_at})` : ''} on the data folder ${status.dataDir}`);
  }
  if (status.installed) lines.push(`logs: ${status.logs}   (mnemo service logs)`);
  return lines;
}

// ---------------------------------------------------------------- logs

/** The last `lines` lines of the service's output. */
export async function serviceLogs(env: ServiceEnvironment, lines: number): Promise<string> {
  if (env.platform === 'linux') {
    // --user-unit (not --user -u): for a user whose entries land in the system journal (uid < 1000, no persistent user journal) too.
    const result = await env.run('journalctl', [`--user-unit=${SYSTEMD_UNIT}`, '-n', String(lines), '--no-pager', '-o', 'short-iso']);
    if (result.code !== 0) throw invalid(`\`journalctl --user-unit=${SYSTEMD_UNIT}\` failed: ${describe(result)}`);
    return result.stdout;
  }
  const logFile = installedRecord(env)?.record?.logFile ?? servicePaths(env).logFile;
  if (!existsSync(logFile)) throw notFound(`no log yet at ${logFile}${installedRecord(env) ? '' : ' (the service is not installed: mnemo service install)'}`);
  return tail(logFile, lines);
}

/** The last `count` lines of a file, reading only its end. */
export function tail(path: string, count: number): string {
  const size = statSync(path).size;
  const length = Math.min(size, Math.max(64 * 1024, count * 512));
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8');
    const all = text.split('\n');
    if (length < size) all.shift(); // began mid-line
    if (all.at(-1) === '') all.pop();
    return all.slice(-count).join('\n') + (count > 0 && all.length ? '\n' : '');
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------- the Windows supervisor

export interface SuperviseOptions {
  node: string;
  script: string;
  config: string;
  port: number;
  logFile: string;
  /** First wait before a restart (doubles per quick failure, up to 60 s). Default 5 s. */
  restartDelayMs?: number;
  /** Give up after this many failures in a row that each ran less than a minute. Default 10. */
  maxQuickFailures?: number;
}

/** The log is moved aside (one old copy) when it grows past this at a start. */
const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

/**
 * What the Windows task runs: `mnemo serve` as a child, its output appended
 * to the log file, restarted when it fails (the task cannot see a failure
 * through conhost). Returns when the child exits cleanly, when this process
 * is told to stop (the child is stopped too), or after too many quick failures.
 */
export async function superviseServe(options: SuperviseOptions): Promise<number> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  if (existsSync(options.logFile) && statSync(options.logFile).size > LOG_ROTATE_BYTES) renameSync(options.logFile, `${options.logFile}.1`);
  const log = openSync(options.logFile, 'a');
  const say = (line: string) => writeSync(log, `${new Date().toISOString()} mnemo service: ${line}\n`);
  let stopping = false;
  let child: ReturnType<typeof spawn> | null = null;
  const stop = () => {
    stopping = true;
    child?.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let quickFailures = 0;
  try {
    for (;;) {
      const started = Date.now();
      // 'ipc': the server exits when this supervisor is gone, however it went.
      child = spawn(options.node, [options.script, 'serve', '--config', options.config, '--port', String(options.port)], {
        cwd: dirname(options.config), stdio: ['ignore', log, log, 'ipc'], windowsHide: true,
      });
      const pid = child.pid;
      if (pid) say(`started mnemo serve (PID ${pid}) on port ${options.port}`);
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
        child!.once('exit', (code, signal) => done({ code, signal }));
        child!.once('error', (error) => {
          say(`cannot start ${options.node}: ${error.message}`);
          done({ code: 127, signal: null });
        });
      });
      child = null;
      if (stopping) {
        say(`stopped (serve PID ${pid})`);
        return 0;
      }
      if (exit.code === 0) {
        say(`mnemo serve (PID ${pid}) exited cleanly`);
        return 0;
      }
      quickFailures = Date.now() - started < 60_000 ? quickFailures + 1 : 1;
      const limit = options.maxQuickFailures ?? 10;
      if (quickFailures >= limit) {
        say(`mnemo serve failed ${quickFailures} times in a row, each within a minute of its start: giving up (see above; \`mnemo service install\` starts it again)`);
        return 1;
      }
      const delay = Math.min(60_000, (options.restartDelayMs ?? 5000) * 2 ** (quickFailures - 1));
      say(`mnemo serve (PID ${pid}) ${exit.signal ? `was killed (${exit.signal})` : `failed (exit code ${exit.code})`}; restarting in ${Math.round(delay / 100) / 10} s`);
      await new Promise((wait) => setTimeout(wait, delay));
      if (stopping) return 0;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    closeSync(log);
  }
}
