// The files `mnemo service install` writes, as pure functions of an explicit
// description (no environment, no file system): a systemd user unit (Linux),
// a Task Scheduler task in XML (Windows) and a LaunchAgent plist (macOS).
// app/service.ts writes them and runs systemctl, schtasks or launchctl.
// Each file carries the description it was made from on one comment line
// (`mnemo-service {...}`), so `status` and `uninstall` know what was installed.

export interface ServiceSpec {
  /** The node executable, absolute. */
  node: string;
  /** bin/mnemo.js of this package, absolute. */
  script: string;
  /** The pipeline spec, absolute. */
  config: string;
  port: number;
  /** The data folder the spec names (where the workbench writes its instance file). */
  dataDir: string;
  /** Where the server runs: the spec's folder. */
  workingDir: string;
  /** Windows: DOMAIN\user, the one user whose logon starts the task; elsewhere the user name. */
  user: string;
  /** Windows and macOS: the server's output (stdout and stderr) is appended here. */
  logFile: string;
  /** Windows: conhost.exe, absolute (it runs node with no console window). */
  conhost?: string;
  /** Linux: `loginctl enable-linger` was run by install (uninstall undoes it). */
  linger?: boolean;
}

/** What a generated file records about itself (read back by `status` and `uninstall`). */
export type ServiceRecord = Pick<ServiceSpec, 'config' | 'port' | 'dataDir' | 'logFile'> & { linger?: boolean };

export const SYSTEMD_UNIT = 'mnemo-workbench.service';
export const LAUNCHD_LABEL = 'local.mnemo.workbench';
/** Systemd's default is 5 starts in 10 s; a server that crashes at start is given up on after 5 in 5 minutes. */
export const START_LIMIT = { intervalSec: 300, burst: 5, restartSec: 5 };
/** Task Scheduler's restart on failure: every minute (its minimum), up to 10 times. */
export const TASK_RESTART = { interval: 'PT1M', count: 10 };

/** The per-user task name: task names are machine-wide, so it carries the user. */
export function taskName(user: string): string {
  const name = user.split('\\').pop() || 'user';
  return `mnemo-workbench-${name.replace(/[\\/:*?"<>|\s]/g, '_')}`;
}

const MARKER = 'mnemo-service ';

function recordOf(spec: ServiceSpec): ServiceRecord {
  return { config: spec.config, port: spec.port, dataDir: spec.dataDir, logFile: spec.logFile, ...(spec.linger ? { linger: true } : {}) };
}

/** The record a generated file carries, or null for a file mnemo did not write. */
export function readRecord(text: string): ServiceRecord | null {
  const start = text.indexOf(MARKER);
  if (start < 0) return null;
  const line = text.slice(start + MARKER.length).split(/\r?\n/)[0]!.replace(/\s*-->\s*$/, '');
  try {
    return JSON.parse(line) as ServiceRecord;
  } catch {
    return null;
  }
}

function noControlCharacters(value: string, what: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) throw new Error(`${what} has a control character (a line break?) in it: ${JSON.stringify(value)}`);
  return value;
}

// ---------------------------------------------------------------- systemd

/** `%` starts a specifier in every unit setting: `%%` is a literal one. */
const systemdSpecifiers = (value: string) => value.replace(/%/g, '%%');

/**
 * One word of ExecStart=, double-quoted: inside quotes systemd reads C
 * escapes (so `\` and `"` are escaped), `%` specifiers and `$` variables
 * (doubled). Spaces and any UTF-8 (Cyrillic names) pass as they are.
 */
export function systemdQuote(word: string): string {
  noControlCharacters(word, 'a path');
  return `"${systemdSpecifiers(word.replace(/\\/g, '\\\\').replace(/"/g, '\\"')).replace(/\$/g, '$$$$')}"`;
}

export function systemdUnit(spec: ServiceSpec): string {
  const command = [spec.node, spec.script, 'serve', '--config', spec.config, '--port', String(spec.port)];
  return [
    '# The mnemo workbench at login, written by `mnemo service install`; `mnemo service uninstall` removes it.',
    `# ${MARKER}${JSON.stringify(recordOf(spec))}`,
    '[Unit]',
    `Description=${systemdSpecifiers(noControlCharacters(`mnemo workbench (${spec.config})`, 'the config path'))}`,
    `StartLimitIntervalSec=${START_LIMIT.intervalSec}`,
    `StartLimitBurst=${START_LIMIT.burst}`,
    '',
    '[Service]',
    'Type=simple',
    // A path setting takes the rest of the line as it is (no quotes): only specifiers need escaping.
    `WorkingDirectory=${systemdSpecifiers(noControlCharacters(spec.workingDir, 'the working folder'))}`,
    `ExecStart=${command.map(systemdQuote).join(' ')}`,
    'Restart=on-failure',
    `RestartSec=${START_LIMIT.restartSec}`,
    'TimeoutStopSec=30',
    // stdout and stderr go to the journal (the default): `mnemo service logs`.
    'SyslogIdentifier=mnemo-workbench',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- XML (Task Scheduler, launchd)

export function xmlEscape(value: string): string {
  return noControlCharacters(value, 'a value')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** A record inside an XML comment: `--` may not appear there, so every `-` is written as the JSON escape \u002d. */
const xmlCommentRecord = (spec: ServiceSpec) => `<!-- ${MARKER}${JSON.stringify(recordOf(spec)).replace(/-/g, '\\u002d')} -->`;

/**
 * One argument of a Windows command line, as CommandLineToArgvW and the C
 * runtime read it back: quoted, with a `"` escaped and backslashes doubled
 * only where they precede a quote.
 */
export function windowsQuote(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let quoted = '"';
  let backslashes = 0;
  for (const char of arg) {
    if (char === '\\') backslashes++;
    else if (char === '"') {
      quoted += `${'\\'.repeat(backslashes * 2 + 1)}"`;
      backslashes = 0;
    } else {
      quoted += `${'\\'.repeat(backslashes)}${char}`;
      backslashes = 0;
    }
  }
  return `${quoted}${'\\'.repeat(backslashes * 2)}"`;
}

/**
 * The Windows task: at the logon of this one user (no admin needed), with
 * the least privilege, no time limit (the default stops a task after 72 h),
 * a second start ignored while one runs, and node started through
 * `conhost.exe --headless` so no console window ever shows. conhost does not
 * pass the exit code on (microsoft/terminal#17178), so restarting after a
 * crash is done by `mnemo service run`, which the task starts: it runs
 * `mnemo serve`, appends its output to the log file and restarts it when it
 * fails. RestartOnFailure stays for a failure of the task itself.
 */
export function windowsTaskXml(spec: ServiceSpec): string {
  const conhost = spec.conhost ?? 'C:\\Windows\\System32\\conhost.exe';
  const args = ['--headless', spec.node, spec.script, 'service', 'run', '--config', spec.config, '--port', String(spec.port), '--log', spec.logFile];
  const user = xmlEscape(spec.user);
  return [
    '<?xml version="1.0" encoding="UTF-16"?>',
    xmlCommentRecord(spec),
    '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">',
    '  <RegistrationInfo>',
    `    <Description>${xmlEscape(`The mnemo workbench at logon (${spec.config}, port ${spec.port}), registered by \`mnemo service install\`; \`mnemo service uninstall\` removes it.`)}</Description>`,
    `    <URI>\\${xmlEscape(taskName(spec.user))}</URI>`,
    '  </RegistrationInfo>',
    '  <Triggers>',
    '    <LogonTrigger>',
    '      <Enabled>true</Enabled>',
    `      <UserId>${user}</UserId>`,
    '    </LogonTrigger>',
    '  </Triggers>',
    '  <Principals>',
    '    <Principal id="Author">',
    `      <UserId>${user}</UserId>`,
    '      <LogonType>InteractiveToken</LogonType>',
    '      <RunLevel>LeastPrivilege</RunLevel>',
    '    </Principal>',
    '  </Principals>',
    '  <Settings>',
    '    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>',
    '    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>',
    '    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>',
    '    <AllowHardTerminate>true</AllowHardTerminate>',
    '    <StartWhenAvailable>false</StartWhenAvailable>',
    '    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>',
    '    <IdleSettings>',
    '      <StopOnIdleEnd>false</StopOnIdleEnd>',
    '      <RestartOnIdle>false</RestartOnIdle>',
    '    </IdleSettings>',
    '    <AllowStartOnDemand>true</AllowStartOnDemand>',
    '    <Enabled>true</Enabled>',
    '    <Hidden>false</Hidden>',
    '    <RunOnlyIfIdle>false</RunOnlyIfIdle>',
    '    <WakeToRun>false</WakeToRun>',
    '    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>',
    '    <Priority>7</Priority>',
    '    <RestartOnFailure>',
    `      <Interval>${TASK_RESTART.interval}</Interval>`,
    `      <Count>${TASK_RESTART.count}</Count>`,
    '    </RestartOnFailure>',
    '  </Settings>',
    '  <Actions Context="Author">',
    '    <Exec>',
    `      <Command>${xmlEscape(conhost)}</Command>`,
    `      <Arguments>${xmlEscape(args.map(windowsQuote).join(' '))}</Arguments>`,
    `      <WorkingDirectory>${xmlEscape(spec.workingDir)}</WorkingDirectory>`,
    '    </Exec>',
    '  </Actions>',
    '</Task>',
    '',
  ].join('\r\n');
}

/** The bytes schtasks /XML expects: UTF-16 little-endian with a byte order mark. */
export function utf16le(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

/** Text from a file that may be UTF-16LE with a BOM (the task XML) or UTF-8. */
export function decodeText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}

/**
 * The macOS LaunchAgent: loaded at login (RunAtLoad), restarted when it
 * exits with a failure (KeepAlive SuccessfulExit false, at most every 10 s),
 * its output appended to the log file.
 */
export function launchdPlist(spec: ServiceSpec): string {
  const string = (value: string) => `<string>${xmlEscape(value)}</string>`;
  const args = [spec.node, spec.script, 'serve', '--config', spec.config, '--port', String(spec.port)];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    xmlCommentRecord(spec),
    '<plist version="1.0">',
    '<dict>',
    `  <key>Label</key>${string(LAUNCHD_LABEL)}`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...args.map((arg) => `    ${string(arg)}`),
    '  </array>',
    `  <key>WorkingDirectory</key>${string(spec.workingDir)}`,
    '  <key>RunAtLoad</key><true/>',
    '  <key>KeepAlive</key>',
    '  <dict>',
    '    <key>SuccessfulExit</key><false/>',
    '  </dict>',
    '  <key>ThrottleInterval</key><integer>10</integer>',
    `  <key>StandardOutPath</key>${string(spec.logFile)}`,
    `  <key>StandardErrorPath</key>${string(spec.logFile)}`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
