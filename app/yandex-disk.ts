// Yandex.Disk use cases: the device-code login (`mnemo auth yandex`), the
// login's state (`mnemo auth status`), and the server-side copy of new
// camera photos into the archive (`mnemo import yandex`). Tokens stay in the
// credentials file; nothing here returns or prints one.
import { hostname } from 'node:os';
import type { SourceSpec, YandexDiskSource } from '../dag/node-type.ts';
import { invalid, translated } from './errors.ts';
import type { Workspace } from './workspace.ts';

export interface DeviceLoginPrompt {
  userCode: string;
  verificationUrl: string;
  expiresInSeconds: number;
}

export interface YandexLoginState {
  credentialsFile: string;
  loggedIn: boolean;
  /** ISO time the access token expires (it is refreshed a day before). */
  expiresAt: string | null;
  savedAt: string | null;
}

/** The Yandex.Disk source a command works on: the one named, else the only one. */
export async function yandexDiskSource(workspace: Workspace, name?: string): Promise<SourceSpec & { yandexDisk: YandexDiskSource }> {
  const spec = await translated(() => workspace.spec());
  const sources = spec.sources.filter((source): source is SourceSpec & { yandexDisk: YandexDiskSource } => Boolean(source.yandexDisk) && (!name || source.name === name));
  if (sources.length === 0) {
    throw invalid(`${name ? `no yandex-disk source named '${name}'` : 'the pipeline has no yandex-disk source'} in ${workspace.configPath}; add one, e.g.\n  sources:\n    - name: disk\n      type: yandex-disk\n      path: "disk:/Фото"`);
  }
  if (sources.length > 1 && !name) throw invalid(`the pipeline has several yandex-disk sources (${sources.map((s) => s.name).join(', ')}); pick one with --source NAME`);
  return sources[0]!;
}

/**
 * Logs in with a device code: `prompt` shows the code and the page to enter
 * it on, then this polls until the user confirms and saves the credentials
 * (mode 0600).
 */
export async function loginYandexDisk(workspace: Workspace, prompt: (login: DeviceLoginPrompt) => void, options: { source?: string; signal?: AbortSignal } = {}): Promise<YandexLoginState> {
  const { yandexDisk } = await yandexDiskSource(workspace, options.source);
  const clientId = yandexDisk.clientId ?? process.env.MNEMO_YANDEX_CLIENT_ID;
  if (!clientId) {
    throw invalid('no OAuth client id for Yandex: set `client_id` on the yandex-disk source in mnemo.yaml or MNEMO_YANDEX_CLIENT_ID (register an app with the Disk read and write permissions at https://oauth.yandex.ru/client/new); its secret goes in MNEMO_YANDEX_CLIENT_SECRET');
  }
  const { requestDeviceCode, pollDeviceToken } = await import('../cloud/yandex-disk/oauth.ts');
  const { credentialsFrom, saveCredentials } = await import('../cloud/yandex-disk/credentials.ts');
  const client = { oauthUrl: yandexDisk.oauthUrl, clientId, clientSecret: process.env.MNEMO_YANDEX_CLIENT_SECRET ?? null };
  return translated(async () => {
    const code = await requestDeviceCode(client, `mnemo on ${hostname()}`, { signal: options.signal });
    prompt({ userCode: code.userCode, verificationUrl: code.verificationUrl, expiresInSeconds: code.expiresIn });
    const answer = await pollDeviceToken(client, code, { signal: options.signal });
    await saveCredentials(yandexDisk.credentialsFile, credentialsFrom(client, answer));
    return yandexLoginState(workspace, options.source);
  });
}

/** Whether there is a login and when its access token expires. */
export async function yandexLoginState(workspace: Workspace, source?: string): Promise<YandexLoginState> {
  const { yandexDisk } = await yandexDiskSource(workspace, source);
  const { readCredentials } = await import('../cloud/yandex-disk/credentials.ts');
  const credentials = await translated(() => readCredentials(yandexDisk.credentialsFile));
  return { credentialsFile: yandexDisk.credentialsFile, loggedIn: credentials !== null, expiresAt: credentials?.expires_at ?? null, savedAt: credentials?.saved_at ?? null };
}

export interface YandexImportOutcome {
  summary: import('../dag/executor.ts').RunSummary;
  cameraFolder: string | null;
  copied: number;
  renamedCopies: number;
  alreadyInArchive: number;
  failed: number;
}

/** Runs only the yandex-import node (recorded as a run, as `mnemo import` does); `mnemo run` then catalogues the copies. */
export async function runYandexImport(workspace: Workspace, options: { node?: string; onEvent?: import('../dag/progress.ts').RunEventSink; command?: string } = {}): Promise<YandexImportOutcome> {
  const spec = await translated(() => workspace.spec());
  const nodes = spec.nodes.filter((node) => node.type === 'yandex-import' && (!options.node || node.name === options.node));
  if (nodes.length === 0) {
    throw invalid(`${options.node ? `no yandex-import node named '${options.node}'` : 'the pipeline has no yandex-import node'}; add one to ${workspace.configPath}, e.g.\n  nodes:\n    yandex-import:\n      params: { archive: disk }\n    scan:\n      needs: [yandex-import]`);
  }
  if (nodes.length > 1) throw invalid(`the pipeline has several yandex-import nodes (${nodes.map((node) => node.name).join(', ')}); pick one with --node NAME`);
  const { runToEnd } = await import('./pipeline.ts');
  const summary = await runToEnd(workspace, { only: nodes[0]!.name, onEvent: options.onEvent, command: options.command ?? 'mnemo import yandex' });
  const done = (summary.nodes.find((entry) => entry.node === nodes[0]!.name)?.metadata ?? {}) as Record<string, number | string | null>;
  const count = (key: string) => Number(done[key] ?? 0);
  return { summary, cameraFolder: (done.cameraFolder as string | null) ?? null, copied: count('copied'), renamedCopies: count('renamedCopies'), alreadyInArchive: count('alreadyInArchive'), failed: count('failed') };
}
