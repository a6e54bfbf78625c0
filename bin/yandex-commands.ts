// `mnemo auth yandex|status` and `mnemo import yandex`: Yandex.Disk login and
// the camera folder's import. Parsing and printing only (app/yandex-disk.ts);
// no token is ever printed.
import { common, out, UsageError, workspaceOf, type Command } from './command.ts';

export const yandexCommands: Record<string, Command> = {
  auth: {
    summary: 'log in to Yandex.Disk with a code entered on the Yandex page (auth yandex), or say when the login expires (auth status)',
    usage: 'mnemo auth yandex|status [--config FILE] [--source NAME]   (the OAuth client: client_id in mnemo.yaml or MNEMO_YANDEX_CLIENT_ID, MNEMO_YANDEX_CLIENT_SECRET)',
    options: { ...common, source: { type: 'string' } },
    async run(values, [what]) {
      const workspace = await workspaceOf(values);
      const source = values.source as string | undefined;
      const { loginYandexDisk, yandexLoginState } = await import('../app/yandex-disk.ts');
      if (what === 'yandex') {
        const state = await loginYandexDisk(workspace, (login) => {
          out(`open ${login.verificationUrl} and enter the code ${login.userCode} (it is valid for ${Math.round(login.expiresInSeconds / 60)} minutes); waiting...`);
        }, { source });
        out(`logged in to Yandex.Disk; credentials saved in ${state.credentialsFile} (readable by you only)${state.expiresAt ? `; the access token expires ${formatWhen(state.expiresAt)} and is refreshed before that` : ''}`);
        return 0;
      }
      if (what === 'status') {
        const state = await yandexLoginState(workspace, source);
        if (!state.loggedIn) {
          out(`not logged in to Yandex.Disk (no ${state.credentialsFile}); run: mnemo auth yandex`);
          return 1;
        }
        out(`logged in to Yandex.Disk since ${formatWhen(state.savedAt!)}; the access token expires ${formatWhen(state.expiresAt!)} (refreshed automatically a day before; a refused refresh asks for mnemo auth yandex)`);
        return 0;
      }
      throw new UsageError('say what to do: mnemo auth yandex (log in) or mnemo auth status');
    },
  },
};

/** '2027-11-30 13:20 UTC (in 365 days)' */
export function formatWhen(iso: string, now = Date.now()): string {
  const at = Date.parse(iso);
  const days = (at - now) / 86_400_000;
  const relative = Math.abs(days) >= 2 ? `${Math.round(Math.abs(days))} days` : `${Math.round(Math.abs(days) * 24)} hours`;
  return `${new Date(at).toISOString().replace('T', ' ').slice(0, 16)} UTC (${days >= 0 ? `in ${relative}` : `${relative} ago`})`;
}

/** `mnemo import yandex`: the camera folder's new photos copied into the archive on the server. */
export async function importYandex(values: Record<string, unknown>, command: string): Promise<number> {
  if (values['dry-run']) throw new UsageError('mnemo import yandex has no --dry-run yet; it only copies (never overwrites, deletes or moves anything on the disk)');
  const { runYandexImport } = await import('../app/yandex-disk.ts');
  const { consoleProgress } = await import('../dag/progress.ts');
  const result = await runYandexImport(await workspaceOf(values), { node: values.node as string | undefined, onEvent: consoleProgress(), command });
  if (result.summary.status === 'failed') {
    process.stderr.write(`mnemo: ${result.summary.message}\n`);
    return 1;
  }
  if (!result.cameraFolder) out('the disk has no camera folder (system_folders.photostream): nothing to import');
  else out(`imported ${result.copied + result.renamedCopies} photos from ${result.cameraFolder} (${result.renamedCopies} under a new name), ${result.alreadyInArchive} already in the archive, ${result.failed} failed; next: mnemo run`);
  return 0;
}
