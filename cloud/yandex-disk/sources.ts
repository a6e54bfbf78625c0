// The pipeline's side of Yandex.Disk: every `type: yandex-disk` source of a
// spec synced in turn before scan walks the views. A source that cannot be
// synced (no login, the disk unreachable) is reported and keeps its view as
// it was; the other sources, local ones included, are not affected.
import { syncYandexDiskSource, type SyncProblem, type SyncResult, type YandexDiskSourceFolder } from './sync.ts';

export interface YandexDiskSync {
  /** Per source: what its sync did (for the scan's metadata). */
  sources: Record<string, Omit<SyncResult, 'problems'>>;
  problems: SyncProblem[];
}

/** Sources as dag/spec.ts gives them; only those with yandexDisk settings are synced. */
export async function syncYandexDiskSources(sources: readonly { name: string; path: string; include: string[]; exclude: string[]; yandexDisk?: YandexDiskSourceFolder['yandexDisk'] }[], signal?: AbortSignal, log?: (message: string) => void): Promise<YandexDiskSync> {
  const result: YandexDiskSync = { sources: {}, problems: [] };
  for (const source of sources) {
    if (!source.yandexDisk) continue;
    const { problems, ...facts } = await syncYandexDiskSource(source as YandexDiskSourceFolder, { signal });
    result.sources[source.name] = facts;
    result.problems.push(...problems);
    log?.(`yandex-disk ${source.name}: ${facts.files} files, ${facts.downloaded} downloaded${facts.unavailable ? ' (not synced: see errors)' : ''}`);
  }
  return result;
}
