// `mnemo service`: the workbench at login, in the background, without admin
// rights (a systemd user unit, a per-user Task Scheduler task, a LaunchAgent).
// Parsing and printing only: app/service.ts does the work.
import { common, out, UsageError, wholeNumber, type Command } from './command.ts';

const SERVICE_USAGE = `mnemo service install [--config FILE] [--port 7707] [--at-boot]
mnemo service uninstall
mnemo service status [--config FILE] [--json]
mnemo service logs [--lines 50]
  install: start the workbench (mnemo serve) at login, for this user, without admin rights, and now;
    Linux: a systemd user unit (--at-boot: also at boot without a login, loginctl enable-linger),
    Windows: a Task Scheduler task at logon, macOS: a LaunchAgent. Installing again updates it.
  uninstall: stop it and remove what install made (the Windows and macOS log file stays).
  status: installed or not, running or not, on which URL, since when.
  logs: the last lines of its output (Linux: the journal; Windows, macOS: its log file).`;

const service: Command = {
  summary: 'run the workbench at login, in the background, without admin rights: install, uninstall, status, logs',
  usage: SERVICE_USAGE,
  options: {
    config: common.config, help: common.help,
    port: { type: 'string' }, 'at-boot': { type: 'boolean' }, json: { type: 'boolean' }, lines: { type: 'string', short: 'n' },
    log: { type: 'string' }, 'restart-sec': { type: 'string' },
  },
  async run(values, [action, ...rest]) {
    if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
    const service = await import('../app/service.ts');
    const env = service.currentEnvironment();
    const port = values.port === undefined ? 7707 : wholeNumber(values.port as string, '--port');
    switch (action) {
      case 'install': {
        if (values['at-boot'] && env.platform !== 'linux') throw new UsageError('--at-boot is for Linux (systemd linger); the Windows task and the macOS agent start at login');
        const { lines } = await service.installService(env, { config: String(values.config), port, atBoot: Boolean(values['at-boot']) });
        out(lines.join('\n'));
        return 0;
      }
      case 'uninstall':
        out((await service.uninstallService(env)).lines.join('\n'));
        return 0;
      case 'status': {
        const status = await service.serviceStatus(env, String(values.config));
        out(values.json ? JSON.stringify(status, null, 2) : service.formatStatus(status).join('\n'));
        return 0;
      }
      case 'logs':
        process.stdout.write(await service.serviceLogs(env, values.lines === undefined ? 50 : wholeNumber(values.lines as string, '--lines')));
        return 0;
      case 'run': {
        // What the Windows task starts (not for people): `mnemo serve` supervised, its output in --log.
        if (typeof values.log !== 'string') throw new UsageError('mnemo service run needs --log FILE');
        const { resolve } = await import('node:path');
        return service.superviseServe({
          node: process.execPath, script: env.script, config: resolve(String(values.config)), port, logFile: values.log,
          restartDelayMs: values['restart-sec'] === undefined ? undefined : wholeNumber(values['restart-sec'] as string, '--restart-sec') * 1000,
        });
      }
      default:
        throw new UsageError(`${action ? `unknown action '${action}'` : 'say what to do'}\n${SERVICE_USAGE}`);
    }
  },
};

export const serviceCommands: Record<string, Command> = { service };
