// `mnemo service` and the single-instance guard of `mnemo serve`: the
// systemd unit, the Windows task XML and the macOS plist checked for content
// (and with systemd-analyze verify where it exists), paths with spaces and
// Cyrillic letters in all three; install, uninstall, status and logs on every
// system against a temporary home with a fake command runner (install twice
// and uninstall twice are harmless); the Windows supervisor (`mnemo service
// run`) restarting a killed server; on Linux with a reachable systemd user
// manager, the real unit installed, answering, restarted after kill -9 and
// uninstalled. The guard: a second server on the same data folder or port
// says where the first one runs; a stale instance file does not block.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { DOMParser } from 'linkedom';
import { AppError } from '../app/errors.ts';
import { INSTANCE_FILE, instancePath, readInstance } from '../app/server-instance.ts';
import {
  decodeText, launchdPlist, readRecord, systemdQuote, systemdUnit, taskName, utf16le, windowsQuote, windowsTaskXml, type ServiceSpec,
} from '../app/service-files.ts';
import {
  currentEnvironment, installService, serviceLogs, serviceStatus, servicePaths, systemRunner, uninstallService,
  type CommandResult, type ServiceEnvironment, type ServicePlatform,
} from '../app/service.ts';
import { Workspace } from '../app/workspace.ts';
import { serve } from '../workbench/server/server.ts';
import { mnemoBin, runCliAsync, tempDir } from './helpers.ts';

/** A config in a folder whose name has a space and Cyrillic letters. */
function cyrillicConfig(): { dir: string; config: string; dataDir: string } {
  const dir = join(tempDir('mnemo-service-'), 'Мои фото');
  mkdirSync(dir);
  const config = join(dir, 'mnemo.yaml');
  writeFileSync(config, 'data: ./mnemo-data\n');
  return { dir, config, dataDir: join(dir, 'mnemo-data') };
}

function specFor(config: string, overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  const dir = config.slice(0, config.lastIndexOf('/'));
  return { node: process.execPath, script: mnemoBin, config, port: 7707, dataDir: join(dir, 'mnemo-data'), workingDir: dir, user: 'ivan', logFile: join(dir, 'workbench.log'), ...overrides };
}

const xml = (text: string) => new DOMParser().parseFromString(text, 'text/xml');
const textOf = (doc: ReturnType<typeof xml>, selector: string) => doc.querySelector(selector)?.textContent ?? null;

/** How the C runtime splits a Windows command line (the inverse of windowsQuote). */
function windowsArgv(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let arg = '';
    let quoted = false;
    for (; i < line.length && (quoted || (line[i] !== ' ' && line[i] !== '\t')); i++) {
      let backslashes = 0;
      while (line[i] === '\\') backslashes++, i++;
      if (line[i] === '"') {
        arg += '\\'.repeat(Math.floor(backslashes / 2));
        if (backslashes % 2) arg += '"';
        else quoted = !quoted;
      } else {
        arg += '\\'.repeat(backslashes);
        if (i < line.length) arg += line[i];
        else break;
      }
    }
    args.push(arg);
  }
  return args;
}

const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

// ---------------------------------------------------------------- the files

test('the systemd user unit: start at login, restart on failure with a start limit, the journal, quoted paths', () => {
  const { config, dir } = cyrillicConfig();
  const unit = systemdUnit(specFor(config));
  const lines = unit.split('\n');
  for (const line of ['WantedBy=default.target', 'Restart=on-failure', 'RestartSec=5', 'StartLimitIntervalSec=300', 'StartLimitBurst=5', `WorkingDirectory=${dir}`]) {
    assert.ok(lines.includes(line), `${line} in\n${unit}`);
  }
  assert.ok(lines.indexOf('StartLimitBurst=5') < lines.indexOf('[Service]'), 'the start limit belongs to [Unit]');
  assert.ok(!/StandardOutput|StandardError/.test(unit), 'output goes to the journal (the default)');
  const execStart = lines.find((line) => line.startsWith('ExecStart='))!;
  assert.equal(execStart, `ExecStart="${process.execPath}" "${mnemoBin}" "serve" "--config" "${config}" "--port" "7707"`);
  assert.deepEqual(readRecord(unit), { config, port: 7707, dataDir: join(dir, 'mnemo-data'), logFile: join(dir, 'workbench.log') });
  assert.equal(readRecord(systemdUnit(specFor(config, { linger: true })))?.linger, true);
});

test('systemd quoting: backslashes and quotes escaped, % and $ doubled, line breaks refused', () => {
  assert.equal(systemdQuote('/a b/Фото'), '"/a b/Фото"');
  assert.equal(systemdQuote('a"b\\c%d$e'), '"a\\"b\\\\c%%d$$e"');
  assert.throws(() => systemdQuote('a\nb'), /control character/);
});

test('systemd-analyze verify accepts the unit, with spaces, Cyrillic letters, % and $ in the paths', { skip: hasSystemdAnalyze ? false : 'no systemd-analyze here' }, () => {
  for (const name of ['Мои фото', 'a 100% $HOME \'q\'']) {
    const dir = join(tempDir('mnemo-unit-'), name);
    mkdirSync(dir);
    const config = join(dir, 'mnemo.yaml');
    writeFileSync(config, 'data: ./mnemo-data\n');
    const unitDir = tempDir('mnemo-unit-dir-');
    const file = join(unitDir, 'mnemo-workbench.service');
    writeFileSync(file, systemdUnit(specFor(config)));
    const result = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    assert.equal(result.status, 0, `${name}: ${result.stderr}\n${readFileSync(file, 'utf8')}`);
    assert.equal(result.stderr.trim(), '', name);
  }
  // And verify would notice a path split at its space (a missing command), so the quoting is what made it pass.
  const unitDir = tempDir('mnemo-unit-dir-');
  const { config } = cyrillicConfig();
  writeFileSync(join(unitDir, 'broken.service'), systemdUnit(specFor(config, { node: '/usr/bin/no such node' })));
  const broken = spawnSync('systemd-analyze', ['verify', join(unitDir, 'broken.service')], { encoding: 'utf8' });
  assert.notEqual(broken.status, 0);
  assert.match(broken.stderr, /\/usr\/bin\/no such node is not executable/);
});

test('the Windows task XML: logon of this user, least privilege, no time limit, restart on failure, IgnoreNew, conhost --headless, the log', () => {
  const config = 'C:\\Users\\Иван\\Мои фото & видео\\mnemo.yaml';
  const logFile = 'C:\\Users\\Иван\\AppData\\Local\\mnemo\\logs\\workbench.log';
  const spec: ServiceSpec = {
    node: 'C:\\Program Files\\nodejs\\node.exe', script: 'C:\\Users\\Иван\\mnemo\\bin\\mnemo.js', config, port: 7707, dataDir: 'C:\\Users\\Иван\\Мои фото & видео\\mnemo-data',
    workingDir: 'C:\\Users\\Иван\\Мои фото & видео', user: 'PC\\Иван', logFile, conhost: 'C:\\Windows\\System32\\conhost.exe',
  };
  const text = windowsTaskXml(spec);
  assert.ok(text.startsWith('<?xml version="1.0" encoding="UTF-16"?>\r\n'));
  assert.ok(!text.replace(/\r\n/g, '').includes('\n'), 'CRLF line ends');
  const doc = xml(text);
  assert.equal(doc.documentElement.tagName, 'Task');
  assert.equal(textOf(doc, 'Triggers > LogonTrigger > UserId'), 'PC\\Иван');
  assert.equal(textOf(doc, 'Triggers > LogonTrigger > Enabled'), 'true');
  assert.equal(textOf(doc, 'Principals > Principal > UserId'), 'PC\\Иван');
  assert.equal(textOf(doc, 'Principal > LogonType'), 'InteractiveToken');
  assert.equal(textOf(doc, 'Principal > RunLevel'), 'LeastPrivilege');
  assert.equal(textOf(doc, 'Settings > ExecutionTimeLimit'), 'PT0S');
  assert.equal(textOf(doc, 'Settings > MultipleInstancesPolicy'), 'IgnoreNew');
  assert.equal(textOf(doc, 'Settings > DisallowStartIfOnBatteries'), 'false');
  assert.equal(textOf(doc, 'Settings > StopIfGoingOnBatteries'), 'false');
  const interval = textOf(doc, 'RestartOnFailure > Interval')!;
  assert.match(interval, /^PT(\d+)M$/);
  assert.ok(Number(/\d+/.exec(interval)![0]) >= 1, 'at least PT1M (the schema minimum)');
  assert.ok(Number(textOf(doc, 'RestartOnFailure > Count')) >= 1);
  assert.equal(textOf(doc, 'Actions > Exec > Command'), 'C:\\Windows\\System32\\conhost.exe');
  assert.equal(textOf(doc, 'Actions > Exec > WorkingDirectory'), spec.workingDir);
  assert.equal(textOf(doc, 'RegistrationInfo > URI'), `\\${taskName('PC\\Иван')}`);
  // The arguments read back exactly as the program is meant to get them.
  assert.deepEqual(windowsArgv(textOf(doc, 'Actions > Exec > Arguments')!), [
    '--headless', spec.node, spec.script, 'service', 'run', '--config', config, '--port', '7707', '--log', logFile,
  ]);
  assert.match(text, /Мои фото &amp; видео/, 'escaped in the file');
  assert.deepEqual(readRecord(text), { config, port: 7707, dataDir: spec.dataDir, logFile });
  // What schtasks /XML reads: UTF-16LE with a byte order mark.
  const bytes = utf16le(text);
  assert.deepEqual([...bytes.subarray(0, 4)], [0xff, 0xfe, 0x3c, 0x00]);
  assert.equal(decodeText(bytes), text);
  assert.equal(taskName('PC\\Иван'), 'mnemo-workbench-Иван');
  assert.equal(taskName('DOMAIN\\first last'), 'mnemo-workbench-first_last');
});

test('Windows command-line quoting round-trips spaces, quotes and trailing backslashes', () => {
  const args = ['plain', 'with space', 'C:\\dir with space\\', 'say "hi"', '', 'a\\\\"b', 'Фото'];
  assert.deepEqual(windowsArgv(args.map(windowsQuote).join(' ')), args);
});

test('the macOS LaunchAgent: at login, restarted on failure, its output in the log', () => {
  const { config, dir } = cyrillicConfig();
  const spec = specFor(config, { logFile: '/Users/ivan/Library/Logs/mnemo/workbench.log' });
  const text = launchdPlist(spec);
  const doc = xml(text);
  const dict = doc.querySelector('plist > dict')!;
  const value = (key: string) => {
    const keyElement = [...dict.children].find((child) => child.tagName === 'key' && child.textContent === key);
    return keyElement?.nextElementSibling ?? null;
  };
  assert.equal(value('Label')?.textContent, 'local.mnemo.workbench');
  assert.deepEqual([...value('ProgramArguments')!.querySelectorAll('string')].map((s) => s.textContent), [process.execPath, mnemoBin, 'serve', '--config', config, '--port', '7707']);
  assert.equal(value('RunAtLoad')?.tagName, 'true');
  const keepAlive = value('KeepAlive')!;
  assert.equal(keepAlive.querySelector('key')?.textContent, 'SuccessfulExit');
  assert.equal(keepAlive.querySelector('key')?.nextElementSibling?.tagName, 'false');
  assert.equal(value('WorkingDirectory')?.textContent, dir);
  assert.equal(value('StandardOutPath')?.textContent, spec.logFile);
  assert.equal(value('StandardErrorPath')?.textContent, spec.logFile);
  assert.deepEqual(readRecord(text), { config, port: 7707, dataDir: spec.dataDir, logFile: spec.logFile });
  const lint = spawnSync('plutil', ['-lint', '-'], { input: text });
  if (lint.status !== null && !lint.error) assert.equal(lint.status, 0, String(lint.stdout)); // macOS only
});

// ---------------------------------------------------------------- install, uninstall, status, logs

interface FakeRunner {
  calls: string[];
  run: ServiceEnvironment['run'];
}

/** Records every command; `answer` may give a result (default: success, no output). */
function fakeRunner(answer: (line: string) => Partial<CommandResult> | undefined = () => undefined): FakeRunner {
  const calls: string[] = [];
  return {
    calls,
    async run(command, args) {
      const line = [command, ...args].join(' ');
      calls.push(line);
      return { code: 0, stdout: '', stderr: '', ...answer(line) };
    },
  };
}

function fakeEnvironment(platform: ServicePlatform, runner: FakeRunner): ServiceEnvironment {
  const home = tempDir('mnemo-home-');
  return {
    platform, home, configHome: join(home, '.config'), localAppData: join(home, 'AppData', 'Local'),
    user: platform === 'win32' ? 'PC\\Иван' : 'ivan', uid: 501, node: process.execPath, script: mnemoBin,
    conhost: 'C:\\Windows\\System32\\conhost.exe', run: runner.run,
  };
}

const quiet = { waitMs: 0 };

test('Linux: install writes and enables the user unit; twice is harmless; a change restarts; uninstall removes exactly that, twice too', async () => {
  const { config } = cyrillicConfig();
  const runner = fakeRunner();
  const env = fakeEnvironment('linux', runner);
  const { file, extra } = servicePaths(env);
  assert.equal(file, join(env.home, '.config', 'systemd', 'user', 'mnemo-workbench.service'));

  const first = await installService(env, { config, port: 7707, ...quiet });
  assert.match(first.lines[0]!, /^installed: .*mnemo-workbench\.service/);
  assert.equal(readFileSync(file, 'utf8'), systemdUnit({ ...specFor(config), user: 'ivan', logFile: '' }));
  assert.deepEqual(runner.calls, [
    'systemctl --user show-environment', 'systemctl --user daemon-reload', 'systemctl --user reset-failed mnemo-workbench.service', 'systemctl --user enable --now mnemo-workbench.service',
  ]);

  runner.calls.length = 0;
  assert.match((await installService(env, { config, port: 7707, ...quiet })).lines[0]!, /^already installed, unchanged/);
  assert.ok(!runner.calls.some((call) => call.includes('restart')), 'nothing restarted when nothing changed');

  runner.calls.length = 0;
  assert.match((await installService(env, { config, port: 7708, ...quiet })).lines[0]!, /^updated: .*restarted/);
  assert.ok(runner.calls.includes('systemctl --user restart mnemo-workbench.service'));
  assert.match(readFileSync(file, 'utf8'), /"--port" "7708"/);

  // What `enable` makes: the link in default.target.wants.
  mkdirSync(join(env.configHome, 'systemd', 'user', 'default.target.wants'), { recursive: true });
  symlinkSync(file, extra[0]!);
  runner.calls.length = 0;
  const removed = await uninstallService(env);
  assert.match(removed.lines[0]!, /^uninstalled: stopped and disabled mnemo-workbench\.service/);
  assert.deepEqual(runner.calls.slice(0, 1), ['systemctl --user disable --now mnemo-workbench.service']);
  assert.ok(!existsSync(file) && !existsSync(extra[0]!));
  assert.ok(!runner.calls.some((call) => call.startsWith('loginctl')), 'linger untouched: install never turned it on');

  runner.calls.length = 0;
  assert.match((await uninstallService(env)).lines[0]!, /^not installed .*nothing to remove/);
  assert.deepEqual(runner.calls, []);
});

test('Linux: --at-boot turns linger on only when it was off, and uninstall turns off only what install turned on', async () => {
  const { config } = cyrillicConfig();
  let linger = 'no';
  const runner = fakeRunner((line) => (line.startsWith('loginctl show-user') ? { stdout: `${linger}\n` } : undefined));
  const env = fakeEnvironment('linux', runner);
  const report = await installService(env, { config, port: 7707, atBoot: true, ...quiet });
  assert.ok(runner.calls.includes('loginctl enable-linger ivan'));
  assert.match(report.lines.join('\n'), /linger turned on/);
  assert.equal(readRecord(readFileSync(servicePaths(env).file, 'utf8'))?.linger, true);
  linger = 'yes';
  runner.calls.length = 0;
  await installService(env, { config, port: 7707, atBoot: true, ...quiet }); // again: still ours
  assert.equal(readRecord(readFileSync(servicePaths(env).file, 'utf8'))?.linger, true);
  await uninstallService(env);
  assert.ok(runner.calls.includes('loginctl disable-linger ivan'));

  // Linger already on before: install leaves it, and so does uninstall.
  const runner2 = fakeRunner((line) => (line.startsWith('loginctl show-user') ? { stdout: 'yes\n' } : undefined));
  const env2 = fakeEnvironment('linux', runner2);
  assert.match((await installService(env2, { config, port: 7707, atBoot: true, ...quiet })).lines.join('\n'), /linger was already on/);
  await uninstallService(env2);
  assert.ok(!runner2.calls.some((call) => /enable-linger|disable-linger/.test(call)), runner2.calls.join('\n'));
});

test('Linux: without a reachable user manager install says so and writes nothing', async () => {
  const { config } = cyrillicConfig();
  const runner = fakeRunner((line) => (line.startsWith('systemctl') ? { code: 1, stderr: 'Failed to connect to bus: No medium found\n' } : undefined));
  const env = fakeEnvironment('linux', runner);
  await assert.rejects(installService(env, { config, port: 7707, ...quiet }), (error: Error) => {
    assert.ok(error instanceof AppError);
    assert.match(error.message, /systemd user manager cannot be reached .*Failed to connect to bus.*nothing was installed/);
    return true;
  });
  assert.ok(!existsSync(servicePaths(env).file));
});

test('install refuses a missing config and a bad port with one line', async () => {
  const env = fakeEnvironment('linux', fakeRunner());
  await assert.rejects(installService(env, { config: join(env.home, 'nope.yaml'), port: 7707, ...quiet }), /no pipeline spec at .*nope\.yaml: write one with `mnemo init FOLDER`/);
  const { config } = cyrillicConfig();
  await assert.rejects(installService(env, { config, port: 70000, ...quiet }), /--port must be from 1 to 65535/);
});

test('Windows: install registers the task from UTF-16 XML and starts it; twice is harmless; uninstall ends and deletes it, twice too', async () => {
  const { config } = cyrillicConfig();
  const runner = fakeRunner();
  const env = fakeEnvironment('win32', runner);
  const { file, name, logFile } = servicePaths(env);
  assert.equal(name, 'mnemo-workbench-Иван');
  assert.equal(logFile, join(env.localAppData, 'mnemo', 'logs', 'workbench.log'));

  assert.match((await installService(env, { config, port: 7707, ...quiet })).lines[0]!, /^installed: task mnemo-workbench-Иван/);
  const bytes = readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xfe]);
  const doc = xml(decodeText(bytes));
  assert.equal(textOf(doc, 'LogonTrigger > UserId'), 'PC\\Иван');
  assert.ok(windowsArgv(textOf(doc, 'Exec > Arguments')!).includes(config));
  assert.ok(existsSync(join(env.localAppData, 'mnemo', 'logs')), 'the log folder exists for the task');
  assert.deepEqual(runner.calls, [`schtasks /Create /XML ${file} /TN ${name} /F`, `schtasks /Run /TN ${name}`]);

  runner.calls.length = 0;
  assert.match((await installService(env, { config, port: 7707, ...quiet })).lines[0]!, /^already installed, unchanged/);
  assert.ok(!runner.calls.some((call) => call.includes('/End')));

  // Ending the task left its processes running (a supervisor and its server): uninstall stops both.
  const dataDir = join(config, '..', 'mnemo-data');
  const health = await healthServer(dataDir);
  const server = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  const supervisor = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(instancePath(dataDir), JSON.stringify({
      pid: server.pid, supervisor_pid: supervisor.pid, host: '127.0.0.1', port: health.port, url: `http://127.0.0.1:${health.port}/`, token: false, started_at: new Date().toISOString(), config, data_dir: dataDir,
    }));
    // Reinstalled on that port: the task installed before (port 7707) is not the one running, so nothing is stopped.
    assert.match((await installService(env, { config, port: health.port, ...quiet })).lines[0]!, /^updated: task/);
    assert.equal(server.exitCode ?? server.signalCode, null);
    runner.calls.length = 0;
    const removed = await uninstallService(env);
    assert.match(removed.lines[0]!, /^uninstalled: ended and deleted task mnemo-workbench-Иван/);
    assert.match(removed.lines.join('\n'), new RegExp(`stopped the workbench left running \\(PID ${server.pid}\\)`));
    assert.deepEqual(runner.calls, [`schtasks /End /TN ${name}`, `schtasks /Delete /TN ${name} /F`]);
    await Promise.all([exited(server), exited(supervisor)]);
    assert.equal(server.signalCode, 'SIGTERM');
    assert.equal(supervisor.signalCode, 'SIGTERM');
  } finally {
    server.kill('SIGKILL');
    supervisor.kill('SIGKILL');
    await health.close();
  }
  assert.ok(!existsSync(file));
  assert.match((await uninstallService(env)).lines[0]!, /^not installed/);
});

test('macOS: install writes and bootstraps the LaunchAgent; twice is harmless; uninstall boots it out, twice too', async () => {
  const { config } = cyrillicConfig();
  let loaded = false;
  const runner = fakeRunner((line) => {
    if (line.startsWith('launchctl print')) return loaded ? { stdout: '\tstate = running\n\tpid = 4242\n' } : { code: 113, stderr: 'Could not find service' };
    if (line.startsWith('launchctl bootstrap')) loaded = true;
    if (line.startsWith('launchctl bootout')) loaded = false;
    return undefined;
  });
  const env = fakeEnvironment('darwin', runner);
  const { file } = servicePaths(env);
  assert.equal(file, join(env.home, 'Library', 'LaunchAgents', 'local.mnemo.workbench.plist'));
  assert.match((await installService(env, { config, port: 7707, ...quiet })).lines[0]!, /^installed: .*local\.mnemo\.workbench\.plist/);
  assert.ok(runner.calls.includes(`launchctl bootstrap gui/501 ${file}`));
  assert.match(readFileSync(file, 'utf8'), /<string>.*Мои фото\/mnemo\.yaml<\/string>/);

  runner.calls.length = 0;
  assert.match((await installService(env, { config, port: 7707, ...quiet })).lines[0]!, /^already installed, unchanged/);
  assert.deepEqual(runner.calls, ['launchctl print gui/501/local.mnemo.workbench']);
  const status = await serviceStatus(env);
  assert.deepEqual(status.manager, { state: 'running', since: null, pid: 4242 });

  assert.match((await uninstallService(env)).lines[0]!, /^uninstalled: unloaded local\.mnemo\.workbench/);
  assert.ok(!existsSync(file) && !loaded);
  assert.match((await uninstallService(env)).lines[0]!, /^not installed/);
});

/** A stand-in workbench: answers /api/health on a free port. */
async function healthServer(dataDir: string): Promise<{ port: number; close(): Promise<void> }> {
  const { createServer: createHttpServer } = await import('node:http');
  // No keep-alive: a pooled connection would let a closed server still answer the next probe.
  const server = createHttpServer((_, response) => response.setHeader('connection', 'close').end(JSON.stringify({ ok: true, dataDir })));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise((done) => { server.close(() => done()); server.closeAllConnections(); }),
  };
}

test('status: installed or not, where, what the manager says, the URL and since when', async () => {
  const { config, dataDir } = cyrillicConfig();
  const runner = fakeRunner((line) =>
    line.startsWith('systemctl --user show mnemo-workbench.service')
      ? { stdout: 'ActiveState=active\nSubState=running\nUnitFileState=enabled\nMainPID=4242\nActiveEnterTimestamp=Mon 2026-11-30 10:00:00 UTC\nNRestarts=1\n' }
      : undefined,
  );
  const env = fakeEnvironment('linux', runner);
  const before = await serviceStatus(env, config);
  assert.equal(before.installed, false);
  assert.equal(before.server, null);
  assert.equal(before.dataDir, dataDir, 'the data folder of --config, to say whether a hand-started one runs');

  await installService(env, { config, port: 7707, ...quiet });
  const health = await healthServer(dataDir);
  try {
    mkdirSync(dataDir, { recursive: true });
    const started = '2026-11-30T10:00:01.000Z';
    writeFileSync(instancePath(dataDir), JSON.stringify({ pid: process.pid, host: '127.0.0.1', port: health.port, url: `http://127.0.0.1:${health.port}/`, token: false, started_at: started, config, data_dir: dataDir }));
    const status = await serviceStatus(env);
    assert.equal(status.installed, true);
    assert.equal(status.file, servicePaths(env).file);
    assert.equal(status.config, config);
    assert.equal(status.port, 7707);
    assert.deepEqual(status.manager, { state: 'active (running), enabled, restarted 1 times', since: 'Mon 2026-11-30 10:00:00 UTC', pid: 4242 });
    assert.equal(status.server?.url, `http://127.0.0.1:${health.port}/`);
    assert.equal(status.server?.started_at, started);
    const { formatStatus } = await import('../app/service.ts');
    const text = formatStatus(status).join('\n');
    assert.match(text, /^installed: .*mnemo-workbench\.service$/m);
    assert.match(text, /^systemd: active \(running\), enabled, restarted 1 times, PID 4242, since Mon 2026-11-30 10:00:00 UTC$/m);
    assert.match(text, new RegExp(`^running: http://127\\.0\\.0\\.1:${health.port}/ \\(PID ${process.pid}, since 2026-11-30 10:00:01 UTC, config .*Мои фото/mnemo\\.yaml\\)$`, 'm'));
  } finally {
    await health.close();
  }
  // Nothing answers on its port any more: the file is stale, the workbench is not running.
  const after = await serviceStatus(env);
  assert.equal(after.server, null);
  assert.match((await import('../app/service.ts')).formatStatus(after).join('\n'), /^not running \(last seen at http:\/\/127\.0\.0\.1:\d+\/, PID \d+/m);
});

test('install says so when a workbench started by hand already runs on the data folder', async () => {
  const { config, dataDir } = cyrillicConfig();
  const health = await healthServer(dataDir);
  try {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(instancePath(dataDir), JSON.stringify({ pid: process.pid, host: '127.0.0.1', port: health.port, url: `http://127.0.0.1:${health.port}/`, token: false, started_at: new Date().toISOString(), config, data_dir: dataDir }));
    const report = await installService(fakeEnvironment('linux', fakeRunner()), { config, port: 7707, waitMs: 5000 });
    assert.match(report.lines.at(-1)!, new RegExp(`^note: a workbench already runs on this data folder: http://127\\.0\\.0\\.1:${health.port}/ \\(PID ${process.pid}, .*kill ${process.pid}\\), then run \`mnemo service install\` again$`));
  } finally {
    await health.close();
  }
});

test('logs: the journal on Linux, the last lines of the log file on Windows and macOS', async () => {
  const runner = fakeRunner((line) => (line.startsWith('journalctl') ? { stdout: 'line 1\nline 2\n' } : undefined));
  assert.equal(await serviceLogs(fakeEnvironment('linux', runner), 2), 'line 1\nline 2\n');
  assert.deepEqual(runner.calls, ['journalctl --user-unit=mnemo-workbench.service -n 2 --no-pager -o short-iso']);

  for (const platform of ['win32', 'darwin'] as const) {
    const env = fakeEnvironment(platform, fakeRunner());
    await assert.rejects(serviceLogs(env, 5), /no log yet at .*workbench\.log \(the service is not installed/);
    const { logFile } = servicePaths(env);
    mkdirSync(join(logFile, '..'), { recursive: true });
    writeFileSync(logFile, Array.from({ length: 100_000 }, (_, i) => `Фото line ${i}`).join('\n') + '\n');
    assert.equal(await serviceLogs(env, 3), 'Фото line 99997\nФото line 99998\nФото line 99999\n');
  }
});

test('the mnemo service command: usage errors are one line, exit code 2', async () => {
  const dir = tempDir();
  const unknown = await runCliAsync(['service', 'restart-everything'], dir);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /mnemo service: unknown action 'restart-everything'/);
  const help = await runCliAsync(['service', '--help'], dir);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /mnemo service install \[--config FILE\] \[--port 7707\] \[--at-boot\]/);
  const missing = await runCliAsync(['service', 'install', '--config', join(dir, 'Мои фото.yaml')], dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no pipeline spec at .*Мои фото\.yaml/);
});

// ---------------------------------------------------------------- the single-instance guard

/** `mnemo serve` in a child process; resolves once its instance file names it. */
function startServe(args: string[], dataDir: string, cwd: string): Promise<{ pid: number; port: number; url: string; child: ReturnType<typeof spawn> }> {
  const child = spawn(process.execPath, [mnemoBin, 'serve', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return new Promise((done, failed) => {
    const timer = setInterval(() => {
      const instance = readInstance(dataDir);
      if (instance && instance.pid === child.pid) {
        clearInterval(timer);
        done({ pid: instance.pid, port: instance.port, url: instance.url, child });
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(timer);
      failed(new Error(`mnemo serve exited (${code}) before listening:\n${output}`));
    });
  });
}

const exited = (child: ReturnType<typeof spawn>) => new Promise<void>((done) => (child.exitCode !== null || child.signalCode !== null ? done() : child.once('exit', () => done())));

test('a second mnemo serve on the same data folder names the first one (URL, PID, since); on the same port too; a stale instance file does not block', async () => {
  const dir = tempDir();
  const dataDir = join(dir, 'Мои данные');
  const first = await startServe(['--data', dataDir, '--port', '0'], dataDir, dir);
  try {
    const health = await fetch(`${first.url}api/health`).then((response) => response.json());
    assert.equal(health.dataDir, dataDir);
    const instance = readInstance(dataDir)!;
    assert.equal(instance.url, `http://127.0.0.1:${first.port}/`);
    assert.match(instance.started_at, /^\d{4}-\d\d-\d\dT/);

    // Another process, same data folder, another port.
    const second = await runCliAsync(['serve', '--data', dataDir, '--port', '0'], dir);
    assert.equal(second.code, 2, second.stderr);
    assert.match(second.stderr, new RegExp(`mnemo serve: the workbench already runs on the data folder .*Мои данные: http://127\\.0\\.0\\.1:${first.port}/ \\(PID ${first.pid}, since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\)`));

    // This process, another data folder, the same port: the port's owner is named.
    const otherData = join(dir, 'other');
    await assert.rejects(serve(await Workspace.open({ data: otherData }), { port: first.port, logger: false }), (error: Error) => {
      assert.ok(error instanceof AppError && error.kind === 'conflict');
      assert.match(error.message, new RegExp(`port ${first.port} is taken by another mnemo workbench, serving the data folder .*Мои данные: http://127\\.0\\.0\\.1:${first.port}/ \\(PID ${first.pid},`));
      return true;
    });
    assert.ok(!existsSync(join(otherData, INSTANCE_FILE)));
  } finally {
    first.child.kill('SIGKILL');
    await exited(first.child);
  }

  // Killed: its file stays behind, stale, and blocks nothing.
  assert.equal(readInstance(dataDir)?.pid, first.pid);
  const again = await serve(await Workspace.open({ data: dataDir }), { port: 0, logger: false });
  assert.equal(readInstance(dataDir)?.pid, process.pid);
  await again.app.close();
  assert.ok(!existsSync(instancePath(dataDir)), 'removed on a clean exit');
});

test('a stale instance file whose PID is alive but whose port is closed (a reused PID) does not block', async () => {
  const dataDir = join(tempDir(), 'data');
  mkdirSync(dataDir);
  const closed = await new Promise<number>((done) => {
    const server: Server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    writeFileSync(instancePath(dataDir), JSON.stringify({ pid: sleeper.pid, host: '127.0.0.1', port: closed, url: `http://127.0.0.1:${closed}/`, token: false, started_at: new Date().toISOString(), config: null, data_dir: dataDir }));
    const server = await serve(await Workspace.open({ data: dataDir }), { port: 0, logger: false });
    assert.equal(readInstance(dataDir)?.pid, process.pid);
    await server.app.close();
  } finally {
    sleeper.kill();
  }
});

test('a port taken by another program is said so, with the port to try', async () => {
  const server: Server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  try {
    await assert.rejects(serve(await Workspace.open({ data: join(tempDir(), 'data') }), { port, logger: false }), new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use by another program; choose another port with --port`));
  } finally {
    server.close();
  }
});

// ---------------------------------------------------------------- the supervisor the Windows task runs

test('mnemo service run (the Windows task): serves, restarts the server after kill -9, logs it, stops it on SIGTERM', async () => {
  const { dir, config, dataDir } = cyrillicConfig();
  const port = await new Promise<number>((done) => {
    const server: Server = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as { port: number };
      server.close(() => done(free));
    });
  });
  const logFile = join(dir, 'logs', 'workbench.log');
  const supervisor = spawn(process.execPath, [mnemoBin, 'service', 'run', '--config', config, '--port', String(port), '--log', logFile, '--restart-sec', '1'], { cwd: dir, stdio: 'ignore' });
  const waitFor = async <T>(what: string, check: () => T | null | undefined, ms = 60_000): Promise<T> => {
    for (const until = Date.now() + ms; Date.now() < until; await new Promise((wait) => setTimeout(wait, 100))) {
      const value = check();
      if (value) return value;
    }
    throw new Error(`timed out waiting for ${what}; log:\n${existsSync(logFile) ? readFileSync(logFile, 'utf8') : '(none)'}`);
  };
  try {
    const first = await waitFor('the first server', () => readInstance(dataDir));
    assert.equal(first.port, port);
    assert.equal(first.supervisor_pid, supervisor.pid, 'the server names its supervisor (uninstall stops that first)');
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/health`)).status, 200);
    process.kill(first.pid, 'SIGKILL');
    const second = await waitFor('the restarted server', () => {
      const instance = readInstance(dataDir);
      return instance && instance.pid !== first.pid ? instance : null;
    });
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/health`)).status, 200);
    const log = readFileSync(logFile, 'utf8');
    assert.match(log, new RegExp(`mnemo serve \\(PID ${first.pid}\\) was killed \\(SIGKILL\\); restarting in 1 s`));
    assert.match(log, new RegExp(`started mnemo serve \\(PID ${second.pid}\\)`));
    assert.match(log, /mnemo workbench: http:\/\/127\.0\.0\.1:\d+\//, 'the server\'s own output is in the log');
    supervisor.kill('SIGTERM');
    await exited(supervisor);
    assert.equal(supervisor.exitCode, 0);
    await waitFor('the server to stop', () => !existsSync(instancePath(dataDir)), 10_000);
    assert.match(readFileSync(logFile, 'utf8'), new RegExp(`stopped \\(serve PID ${second.pid}\\)`));
  } finally {
    supervisor.kill('SIGKILL');
  }
});

// ---------------------------------------------------------------- the real systemd user manager

const userManager = (() => {
  if (process.platform !== 'linux') return 'not Linux';
  const probe = spawnSync('systemctl', ['--user', 'show-environment'], { encoding: 'utf8' });
  if (probe.status !== 0) return `no systemd user manager here (systemctl --user: ${(probe.stderr || probe.error?.message || '').trim().split('\n')[0]})`;
  if (existsSync(servicePaths(currentEnvironment()).file)) return 'a mnemo-workbench unit is already installed for this user: not touching it';
  return null;
})();

test('Linux: the real user unit is installed, answers on its port, restarts after kill -9, and is uninstalled', { skip: userManager ?? false }, async () => {
  const { config, dataDir } = cyrillicConfig();
  const port = await new Promise<number>((done) => {
    const server: Server = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as { port: number };
      server.close(() => done(free));
    });
  });
  const env = currentEnvironment(systemRunner);
  try {
    const report = await installService(env, { config, port, waitMs: 90_000 });
    assert.match(report.lines.join('\n'), new RegExp(`the workbench runs: http://127\\.0\\.0\\.1:${port}/`), report.lines.join('\n'));
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/health`).then((response) => response.json())).dataDir, dataDir);
    const status = await serviceStatus(env);
    assert.ok(status.installed && status.server && status.manager?.state.startsWith('active'), JSON.stringify(status));
    const firstPid = status.server!.pid;
    process.kill(firstPid, 'SIGKILL');
    let restarted = null;
    for (const until = Date.now() + 90_000; Date.now() < until && !restarted; await new Promise((wait) => setTimeout(wait, 250))) {
      const instance = readInstance(dataDir);
      if (instance && instance.pid !== firstPid && (await fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.ok, () => false))) restarted = instance;
    }
    assert.ok(restarted, 'systemd restarted the server after kill -9');
    const logs = await serviceLogs(env, 50);
    assert.match(logs, /mnemo workbench: http/);
  } finally {
    const removed = await uninstallService(env);
    assert.match(removed.lines[0]!, /^uninstalled/);
  }
  assert.ok(!existsSync(servicePaths(env).file));
  assert.equal(await fetch(`http://127.0.0.1:${port}/api/health`).then(() => 'answered', () => 'refused'), 'refused');
  assert.match((await uninstallService(env)).lines[0]!, /^not installed/);
});
