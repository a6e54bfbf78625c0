// A Yandex.Disk source of 50,000 files on the fake disk (test/support/
// fake-yandex-disk.ts, 127.0.0.1, in this same process, so its own work is in
// the figures): the listing alone, the first sync (listing, verified downloads
// of small files, the view's hard links), and an unchanged second sync, which
// must download nothing. The files share `distinct` contents (default one per
// hundred files), so the first sync downloads that many and the bench stays
// about the listing and the check of every file, not about bandwidth.
//   node --import tsx bench/yandex-disk.ts [files=50000] [perFolder=1000] [distinct=files/100]
import { rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskClient } from '../cloud/yandex-disk/client.ts';
import { credentialsFrom, saveCredentials, TokenSource } from '../cloud/yandex-disk/credentials.ts';
import { listTree } from '../cloud/yandex-disk/listing.ts';
import { syncYandexDiskSource, type YandexDiskSourceFolder } from '../cloud/yandex-disk/sync.ts';
import { DEFAULT_EXCLUDE, DEFAULT_INCLUDE } from '../dag/spec.ts';
import { FakeYandexDisk } from '../test/support/fake-yandex-disk.ts';

const files = Number(process.argv[2] ?? 50_000);
const perFolder = Number(process.argv[3] ?? 1000);
const distinct = Number(process.argv[4] ?? Math.max(1, Math.round(files / 100)));
const root = join(tmpdir(), `mnemo-bench-yandex-${process.pid}`);
const fake = await new FakeYandexDisk().start();
for (let i = 0; i < files; i++) fake.put(`disk:/Фото/Альбом ${String(Math.floor(i / perFolder)).padStart(3, '0')}/IMG_${String(i).padStart(6, '0')}.jpg`, `photo number ${i % distinct} `.repeat(8));
const source: YandexDiskSourceFolder = {
  name: 'disk', path: join(root, 'state', 'view'), include: DEFAULT_INCLUDE, exclude: DEFAULT_EXCLUDE,
  yandexDisk: {
    root: 'disk:/Фото', apiUrl: fake.url, oauthUrl: fake.url, credentialsFile: join(root, 'credentials', 'yandex-disk.json'),
    stateDir: join(root, 'state'), cacheDir: join(root, 'blobs'), cacheLimitBytes: 10e9,
  },
};
await saveCredentials(source.yandexDisk.credentialsFile, credentialsFrom({ oauthUrl: fake.url, clientId: fake.clientId, clientSecret: null }, fake.issueTokens()));
console.log(`fake disk: ${files} files (${distinct} distinct contents) in ${Math.ceil(files / perFolder)} folders (cpus: ${cpus().length}; the fake server runs in this process; figures taken on a shared machine are under load)`);

try {
  const client = new DiskClient({ apiUrl: fake.url, tokens: new TokenSource(source.yandexDisk.credentialsFile, { oauthUrl: fake.url }) });
  let started = performance.now();
  const listing = await listTree(client, join(root, 'listing-only.json'), 'disk:/Фото', DEFAULT_EXCLUDE);
  const listSeconds = (performance.now() - started) / 1000;
  console.log(`listing: ${Object.keys(listing.files).length} files, ${listing.pages} pages, ${listSeconds.toFixed(2)} s (${Math.round(Object.keys(listing.files).length / listSeconds)} files/s)`);

  started = performance.now();
  const first = await syncYandexDiskSource(source, { concurrency: 8 });
  const firstSeconds = (performance.now() - started) / 1000;
  console.log(`first sync: ${first.files} files, ${first.downloaded} downloaded (${(first.downloadedBytes / 1e6).toFixed(1)} MB), ${first.problems.length} problems, ${firstSeconds.toFixed(1)} s (${Math.round(first.files / firstSeconds)} files/s, each linked into the view)`);

  const downloadsBefore = [...fake.downloads.values()].reduce((sum, n) => sum + n, 0);
  started = performance.now();
  const second = await syncYandexDiskSource(source, { concurrency: 8 });
  const secondSeconds = (performance.now() - started) / 1000;
  const downloadsAfter = [...fake.downloads.values()].reduce((sum, n) => sum + n, 0);
  console.log(`unchanged second sync: ${second.files} files, ${second.downloaded} downloaded, ${downloadsAfter - downloadsBefore} download requests, ${second.requests} API requests, ${secondSeconds.toFixed(2)} s`);
  if (second.downloaded !== 0 || downloadsAfter !== downloadsBefore) {
    console.error('FAIL: the unchanged run downloaded something');
    process.exitCode = 1;
  }
} finally {
  await fake.stop();
  rmSync(root, { recursive: true, force: true });
}
