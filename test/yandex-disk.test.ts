// Yandex.Disk as a source, against the fake disk and OAuth server in
// test/support/fake-yandex-disk.ts (127.0.0.1; nothing reaches the internet):
// incremental listing, verified downloads, refreshing tokens, errors, the
// device login and an end-to-end `mnemo run`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BlobCache } from '../cloud/yandex-disk/blob-cache.ts';
import { retryAfterMs } from '../cloud/yandex-disk/http.ts';
import { credentialsFrom, readCredentials, saveCredentials } from '../cloud/yandex-disk/credentials.ts';
import { syncYandexDiskSource, type SyncOptions, type SyncResult, type YandexDiskSourceFolder } from '../cloud/yandex-disk/sync.ts';
import { loadSpecFile, parseSpec } from '../dag/spec.ts';
import { localIso } from '../files/import-plan.ts';
import { walkImportSources } from '../nodes/import.ts';
import { NODE_TYPES } from '../nodes/index.ts';
import { facesFixtures, repoRoot, skipUnless } from './fixtures.ts';
import { mnemoBin, tempDir } from './helpers.ts';
import { FakeYandexDisk } from './support/fake-yandex-disk.ts';

const FAST_RETRY = { attempts: 8, baseDelayMs: 1, maxDelayMs: 5 };
/** Everything the tests saw mnemo print or store outside the credentials file: no token may be in it. */
const seenOutput: string[] = [];
/** Workspaces the tests made: every file in them but the credentials file is searched for tokens too. */
const workspaceDirs: string[] = [];

interface Workspace {
  dir: string;
  config: string;
  source: YandexDiskSourceFolder;
  credentialsFile: string;
}

/** A workspace whose one source is `disk:/Фото` on the fake (plus `extraSources` YAML), logged in unless told otherwise. */
async function workspace(fake: FakeYandexDisk, options: { root?: string; extraSources?: string; nodes?: string; loggedIn?: boolean } = {}): Promise<Workspace> {
  // Kept until the suite ends (tempDir would remove it after its test), so the last test can search it for tokens.
  const dir = mkdtempSync(join(tmpdir(), 'mnemo-yandex-'));
  workspaceDirs.push(dir);
  const config = join(dir, 'mnemo.yaml');
  writeFileSync(config, [
    'data: ./data',
    'sources:',
    '  - name: disk',
    '    type: yandex-disk',
    `    path: "${options.root ?? 'disk:/Фото'}"`,
    `    api: ${fake.url}`,
    `    oauth: ${fake.url}`,
    `    client_id: ${fake.clientId}`,
    '    tags: [cloud]',
    options.extraSources ?? '',
    'nodes:',
    options.nodes ?? '  scan: {}\n  hash: {}',
    '',
  ].join('\n'));
  const spec = loadSpecFile(config, NODE_TYPES);
  const source = spec.sources.find((candidate) => candidate.name === 'disk') as YandexDiskSourceFolder;
  if (options.loggedIn !== false) {
    await saveCredentials(source.yandexDisk.credentialsFile, credentialsFrom({ oauthUrl: fake.url, clientId: fake.clientId, clientSecret: 'fake-secret-value' }, fake.issueTokens()));
  }
  return { dir, config, source, credentialsFile: source.yandexDisk.credentialsFile };
}

async function sync(ws: Workspace, options: SyncOptions = {}): Promise<SyncResult> {
  const result = await syncYandexDiskSource(ws.source, { retry: FAST_RETRY, ...options });
  seenOutput.push(JSON.stringify(result));
  return result;
}

const totalDownloads = (fake: FakeYandexDisk) => [...fake.downloads.values()].reduce((sum, n) => sum + n, 0);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function runCli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [mnemoBin, ...args], { cwd, env: { ...process.env, FORCE_COLOR: '0', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => {
      seenOutput.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

test('a yandex-disk source in mnemo.yaml: settings checked with lines, no secret kept in the spec', () => {
  const yaml = (source: string) => `data: ./data\nsources:\n  - name: disk\n    type: yandex-disk\n${source}nodes:\n  scan: {}\n`;
  const spec = parseSpec(yaml('    path: "disk:/Фото/"\n    cache_limit: 2GB\n    client_id: abc\n'), '/tmp/w/mnemo.yaml', NODE_TYPES);
  const source = spec.sources[0]!;
  assert.equal(source.path, '/tmp/w/data/cache/yandex-disk/sources/disk/view');
  assert.deepEqual(source.yandexDisk, {
    root: 'disk:/Фото', apiUrl: 'https://cloud-api.yandex.net', oauthUrl: 'https://oauth.yandex.ru', clientId: 'abc',
    credentialsFile: '/tmp/w/data/credentials/yandex-disk.json', stateDir: '/tmp/w/data/cache/yandex-disk/sources/disk', cacheDir: '/tmp/w/data/cache/yandex-disk/blobs', cacheLimitBytes: 2e9,
  });
  assert.throws(
    () => parseSpec(yaml('    path: /home/me/Фото\n    api: ftp://x\n    cache_limit: lots\n    client_secret: s3cret\n'), '/tmp/w/mnemo.yaml', NODE_TYPES),
    (error: Error) => {
      assert.match(error.message, /mnemo\.yaml:8: source: `client_secret` does not go in mnemo\.yaml .* set MNEMO_YANDEX_CLIENT_SECRET/);
      assert.match(error.message, /:5: source disk: a yandex-disk `path` is a folder on the disk, starting with disk:\//);
      assert.match(error.message, /:6: source disk: `api` must be an http\(s\) URL \(got "ftp:\/\/x"\)/);
      assert.match(error.message, /source disk: `cache_limit` must be a size such as 20GB/);
      assert.ok(!error.message.includes('s3cret'));
      return true;
    },
  );
  assert.throws(() => parseSpec(yaml('    path: x\n').replace('yandex-disk', 'dropbox'), '/tmp/w/mnemo.yaml', NODE_TYPES), /`type` must be folder or yandex-disk \(got "dropbox"\)/);
  // The local camera import never writes into a yandex-disk source's view (the next sync would prune the copies).
  assert.throws(() => walkImportSources([source, { ...source, name: 'card', path: '/media/card', yandexDisk: undefined }], { inbox: 'card', archive: 'disk' }), /'disk' is a yandex-disk source; .* yandex-import node/);
});

test('the download cache drops the least recently used files no view links to, and never one in use', async () => {
  const dir = tempDir('mnemo-blobs-');
  const cache = new BlobCache(join(dir, 'blobs'), 250);
  const blob = (text: string) => {
    const sha = sha256(Buffer.from(text.repeat(100)));
    mkdirSync(join(dir, 'blobs', sha.slice(0, 2)), { recursive: true });
    writeFileSync(cache.pathOf(sha), text.repeat(100));
    return sha;
  };
  const [oldest, older, inUse, newest] = ['a', 'b', 'c', 'd'].map(blob) as [string, string, string, string];
  linkSync(cache.pathOf(inUse), join(dir, 'view-link.jpg')); // a view's hard link
  await cache.touch([inUse], 1000);
  await cache.touch([oldest], 2000);
  await cache.touch([older], 3000);
  await cache.touch([newest], 4000);
  const result = await cache.evict();
  assert.equal(result.evicted, 2, 'two of the four 100-byte files go to fit 250 bytes');
  assert.ok(!(await cache.has(oldest)) && !(await cache.has(older)), 'the least recently used first');
  assert.ok(await cache.has(inUse), 'the oldest of all stays: a view links to it');
  assert.ok(await cache.has(newest));
  assert.equal(result.totalBytes, 200);
});

test('Retry-After is honoured in seconds or as a date, and capped at a minute', () => {
  assert.equal(retryAfterMs('2'), 2000);
  assert.equal(retryAfterMs(null), null);
  assert.equal(retryAfterMs('soon'), null);
  assert.equal(retryAfterMs('3600'), 60_000);
  const inFiveSeconds = retryAfterMs(new Date(Date.now() + 5000).toUTCString())!;
  assert.ok(inFiveSeconds > 3000 && inFiveSeconds <= 5000, String(inFiveSeconds));
});

describe('yandex-disk source', () => {
  let fake: FakeYandexDisk;
  before(async () => {
    fake = await new FakeYandexDisk().start();
  });
  after(async () => {
    await fake.stop();
    for (const dir of workspaceDirs) rmSync(dir, { recursive: true, force: true });
  });

  test('lists through pages without duplicates, downloads each file once verified, and an unchanged second run downloads nothing', async () => {
    for (let i = 0; i < 23; i++) fake.put(`disk:/Фото/Лето 2023/снимок ${String(i).padStart(2, '0')}.jpg`, `photo ${i}`);
    fake.put('disk:/Фото/Зима/ёлка.JPG', 'ёлка');
    fake.put('disk:/Фото/Зима/notes.txt', 'not a photo');
    fake.put('disk:/Другое/x.jpg', 'outside the root');
    const ws = await workspace(fake);
    // A file added at the front while paging shifts every later offset by one: the shifted item is seen twice.
    let inserted = false;
    fake.onListPage = (folder, offset) => {
      if (folder === 'disk:/Фото/Лето 2023' && offset > 0 && !inserted) {
        inserted = true;
        fake.put('disk:/Фото/Лето 2023/000 new.jpg', 'added while listing');
      }
    };
    const first = await sync(ws, { pageSize: 7 });
    fake.onListPage = null;
    assert.deepEqual(first.problems, []);
    assert.equal(first.files, 24, '23 summer photos and the Cyrillic-named winter one; no duplicate from the shifted page, no .txt');
    assert.equal(first.downloaded, 24);
    const viewPhoto = join(ws.source.path, 'Зима', 'ёлка.JPG');
    assert.equal(readFileSync(viewPhoto, 'utf8'), 'ёлка');
    assert.equal(readFileSync(join(ws.source.path, 'Лето 2023', 'снимок 05.jpg'), 'utf8'), 'photo 5');
    assert.ok(!existsSync(join(ws.source.path, 'Зима', 'notes.txt')));
    assert.equal(statSync(viewPhoto).mtimeMs, Date.parse('2024-05-01T10:00:00+00:00'), 'the view has the disk\'s modification time');

    const downloadsBefore = totalDownloads(fake);
    const second = await sync(ws, { pageSize: 7 });
    assert.equal(second.downloaded, 1, 'only the file added while the first listing paged');
    assert.equal(fake.downloads.get('disk:/Фото/Лето 2023/000 new.jpg'), 1);
    const third = await sync(ws, { pageSize: 7 });
    assert.equal(third.files, 25);
    assert.equal(third.downloaded, 0);
    assert.equal(totalDownloads(fake), downloadsBefore + 1, 'an unchanged run downloads nothing');

    fake.put('disk:/Фото/Зима/ёлка.JPG', 'ёлка, edited', '2024-07-01T00:00:00+00:00');
    fake.put('disk:/Фото/Лето 2023/снимок 06.jpg', 'photo 6', '2024-05-01T10:00:00+00:00'); // a new revision, the same bytes
    const changed = await sync(ws);
    assert.equal(changed.downloaded, 1, 'the edited file once; a new revision of the same bytes is not downloaded');
    assert.equal(fake.downloads.get('disk:/Фото/Зима/ёлка.JPG'), 2);
    assert.equal(readFileSync(viewPhoto, 'utf8'), 'ёлка, edited');
    assert.equal((await sync(ws)).downloaded, 0);

    fake.files.delete('disk:/Фото/Лето 2023/снимок 00.jpg');
    await sync(ws);
    assert.ok(!existsSync(join(ws.source.path, 'Лето 2023', 'снимок 00.jpg')), 'a file gone from the disk leaves the view');
    assert.ok(existsSync(join(ws.source.path, 'Лето 2023', 'снимок 01.jpg')));
  });

  test('a damaged download is refused and tried again; a file that changes between listing and download is taken as it is now', async () => {
    const ws = await workspace(fake, { root: 'disk:/Фото' });
    fake.put('disk:/Фото/damaged.jpg', 'bytes that arrive damaged once');
    fake.put('disk:/Фото/changing.jpg', 'before');
    fake.corruptNext.add('disk:/Фото/damaged.jpg');
    fake.changeOnDownload.set('disk:/Фото/changing.jpg', Buffer.from('after the listing'));
    const result = await sync(ws);
    assert.deepEqual(result.problems, []);
    assert.equal(result.refusedDownloads, 2);
    assert.equal(result.changedWhileSyncing, 1);
    assert.equal(fake.downloads.get('disk:/Фото/damaged.jpg'), 2);
    assert.equal(readFileSync(join(ws.source.path, 'damaged.jpg'), 'utf8'), 'bytes that arrive damaged once');
    assert.equal(readFileSync(join(ws.source.path, 'changing.jpg'), 'utf8'), 'after the listing');
    const blobs = readdirSync(ws.source.yandexDisk.cacheDir, { recursive: true }).map(String);
    assert.ok(!blobs.some((name) => name.endsWith('.tmp')), 'no temporary file is left');
    assert.ok(!blobs.some((name) => name.endsWith(sha256(Buffer.from('before')))), 'the refused bytes were never kept');
  });

  test('bursts of 429 and 503 are retried; other errors are reported per file with the server\'s error and description', async () => {
    const ws = await workspace(fake);
    fake.put('disk:/Фото/a.jpg', 'a');
    fake.throttle = 4;
    fake.serverErrors = 2;
    const result = await sync(ws);
    assert.deepEqual(result.problems, []);
    assert.equal(fake.throttle, 0);
    // A file gone when its download link is asked for: 404 DiskNotFoundError, reported for that file only.
    fake.put('disk:/Фото/gone.jpg', 'g');
    fake.goneOnDownload.add('disk:/Фото/gone.jpg');
    const failing = await sync(ws);
    const problem = failing.problems.find((p) => p.item === 'disk:gone.jpg');
    assert.ok(problem, JSON.stringify(failing.problems));
    assert.match(problem.message, /DiskNotFoundError/);
    assert.equal(failing.unavailable, false);
  });

  test('a 401 refreshes the token; the rotated refresh token is saved atomically, readable by the owner only', async () => {
    const ws = await workspace(fake);
    fake.put('disk:/Фото/b.jpg', 'b');
    const before = (await readCredentials(ws.credentialsFile))!;
    const refreshesBefore = fake.refreshes;
    fake.expireAccessTokens();
    const result = await sync(ws);
    assert.deepEqual(result.problems, []);
    assert.equal(result.refreshes, 1);
    assert.equal(fake.refreshes, refreshesBefore + 1);
    const after = (await readCredentials(ws.credentialsFile))!;
    assert.notEqual(after.refresh_token, before.refresh_token);
    assert.ok(fake.isValidAccessToken(after.access_token));
    assert.equal(statSync(ws.credentialsFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(ws.credentialsFile, '..')).mode & 0o777, 0o700);
    // An access token about to expire is refreshed before it is used.
    await saveCredentials(ws.credentialsFile, { ...after, expires_at: new Date(Date.now() + 60_000).toISOString() });
    const early = await sync(ws);
    assert.equal(early.refreshes, 1);
  });

  test('two processes refreshing at once end with one valid token', async () => {
    const ws = await workspace(fake);
    const credentials = (await readCredentials(ws.credentialsFile))!;
    await saveCredentials(ws.credentialsFile, { ...credentials, expires_at: new Date(Date.now() - 1000).toISOString() });
    const refreshesBefore = fake.refreshes;
    const child = () => new Promise<string>((resolve, reject) => {
      const process_ = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/support/yandex-refresh-child.ts'), ws.credentialsFile, fake.url]);
      let out = '';
      let err = '';
      process_.stdout.on('data', (chunk) => (out += chunk));
      process_.stderr.on('data', (chunk) => (err += chunk));
      process_.on('close', (code) => {
        seenOutput.push(out, err);
        if (code === 0) resolve(out.trim());
        else reject(new Error(`child failed (${code}): ${err}`));
      });
    });
    const answers = await Promise.all([child(), child()]);
    assert.equal(fake.refreshes, refreshesBefore + 1, 'one refresh: the second process used the first one\'s result');
    assert.equal(answers[0]!.split(' ')[0], answers[1]!.split(' ')[0], 'both hold the same token');
    assert.deepEqual(answers.map((line) => line.split(' ')[1]).sort(), ['refreshes=0', 'refreshes=1']);
    const saved = (await readCredentials(ws.credentialsFile))!;
    assert.ok(fake.isValidAccessToken(saved.access_token));
    assert.ok(!existsSync(`${ws.credentialsFile}.lock`));
  });

  test('a listing cut off halfway resumes where it stopped on the next run', async () => {
    const ws = await workspace(fake, { root: 'disk:/Архив' });
    const folder = 'disk:/Архив/Большая папка';
    for (let i = 0; i < 30; i++) fake.put(`${folder}/${String(i).padStart(2, '0')}.jpg`, `big ${i}`);
    fake.listingPages = 0;
    fake.failListingAfterPages = 4; // the root, then three pages of 5 in the big folder
    const cut = await sync(ws, { pageSize: 5, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    assert.equal(cut.unavailable, true);
    assert.match(cut.problems[0]!.message, /stopped in disk:\/Архив\/Большая папка at item 15.*goes on from there/);
    fake.failListingAfterPages = null;
    const from = fake.requests.length;
    const resumed = await sync(ws, { pageSize: 5 });
    assert.equal(resumed.resumedListing, true);
    assert.deepEqual(resumed.problems, []);
    const listings = fake.requests.slice(from).filter((line) => line.startsWith('GET /v1/disk/resources?') && line.includes('offset='));
    const firstListing = new URL(`http://x${listings[0]!.slice(4)}`).searchParams;
    assert.equal(firstListing.get('path'), folder);
    assert.equal(firstListing.get('offset'), '15', 'the first request of the resumed listing goes on at the saved offset');
    assert.ok(readdirSync(join(ws.source.path, 'Большая папка')).length === 30);
  });

  test('mnemo auth yandex logs in with a device code; mnemo auth status says when the token expires', async () => {
    const ws = await workspace(fake, { loggedIn: false });
    const missing = await runCli(['auth', 'status'], ws.dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /not logged in.*mnemo auth yandex/);
    const login = await runCli(['auth', 'yandex'], ws.dir, { MNEMO_YANDEX_CLIENT_SECRET: 'fake-secret-value' });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /open https:\/\/oauth\.yandex\.ru\/device and enter the code ABCD1234/);
    assert.match(login.stdout, /logged in to Yandex\.Disk/);
    const saved = (await readCredentials(ws.credentialsFile))!;
    assert.ok(fake.isValidAccessToken(saved.access_token));
    assert.equal(saved.client_secret, 'fake-secret-value');
    assert.equal(statSync(ws.credentialsFile).mode & 0o777, 0o600);
    const status = await runCli(['auth', 'status'], ws.dir);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /the access token expires \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 36[45] days\)/);
    assert.ok(!readFileSync(ws.config, 'utf8').includes(saved.access_token), 'no token in mnemo.yaml');
  });

  test('invalid_grant: the run goes on with the local sources and the errors table says to run mnemo auth yandex', async () => {
    const local = tempDir('mnemo-local-');
    writeFileSync(join(local, 'local.jpg'), 'a local photo');
    const ws = await workspace(fake, { root: 'disk:/Чужое', extraSources: `  - name: local\n    path: ${local}` });
    fake.put('disk:/Чужое/c.jpg', 'c');
    const ok = await runCli(['run'], ws.dir);
    assert.equal(ok.code, 0, ok.stderr);
    fake.revokeRefreshTokens();
    fake.put('disk:/Чужое/d.jpg', 'd');
    writeFileSync(join(local, 'local-2.jpg'), 'another local photo');
    const run = await runCli(['run'], ws.dir);
    assert.equal(run.code, 0, run.stderr);
    const errors = await runCli(['sql', 'SELECT item, message FROM latest.errors', '--json'], ws.dir);
    const rows = JSON.parse(errors.stdout) as { item: string; message: string }[];
    assert.equal(rows.length, 1, errors.stdout);
    assert.equal(rows[0]!.item, 'disk:');
    assert.match(rows[0]!.message, /login needed.*invalid_grant.*mnemo auth yandex/);
    const files = await runCli(['sql', 'SELECT source, path, status FROM latest.files ORDER BY source, path', '--json'], ws.dir);
    assert.deepEqual(JSON.parse(files.stdout), [
      { source: 'disk', path: 'c.jpg', status: 'active' },
      { source: 'local', path: 'local-2.jpg', status: 'active' },
      { source: 'local', path: 'local.jpg', status: 'active' },
    ], 'the local source goes on; the disk keeps what the last sync left');
  });

  test('an end-to-end mnemo run on real photos from the disk writes files and hashes; the second run downloads nothing', { skip: skipUnless(facesFixtures) }, async () => {
    const names = readdirSync(facesFixtures).filter((name) => name.endsWith('.jpg')).slice(0, 4);
    for (const name of names) fake.put(`disk:/Семейный архив/Семья/${name}`, readFileSync(join(facesFixtures, name)));
    const ws = await workspace(fake, { root: 'disk:/Семейный архив', nodes: '  scan: {}\n  hash: {}\n  exif: {}' });
    const first = await runCli(['run'], ws.dir);
    assert.equal(first.code, 0, first.stderr);
    const downloads = totalDownloads(fake);
    const rows = JSON.parse((await runCli(['sql', "SELECT f.path, f.tags, h.sha256 FROM latest.files f JOIN latest.hashes h USING (file_id) WHERE f.source = 'disk' AND f.path LIKE 'Семья/%' ORDER BY f.path", '--json'], ws.dir)).stdout) as { path: string; tags: string[]; sha256: string }[];
    assert.deepEqual(rows.map((row) => row.path), names.map((name) => `Семья/${name}`).sort());
    for (const row of rows) {
      assert.equal(row.sha256, fake.sha256(`disk:/Семейный архив/${row.path}`));
      assert.deepEqual(row.tags, ['cloud']);
    }
    const second = await runCli(['run'], ws.dir);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(totalDownloads(fake), downloads, 'the second run downloads nothing');
    const show = await runCli(['show', 'latest', '--json'], ws.dir);
    const scanNode = (JSON.parse(show.stdout)[0].nodes as { node: string; status: string }[]).find((node) => node.node === 'scan')!;
    assert.equal(scanNode.status, 'reused', 'an unchanged disk reuses the scan and everything after it');
  });

  test('mnemo import yandex copies new camera photos into the archive on the server by capture date, once, and deletes nothing', async () => {
    const ws = await workspace(fake, { root: 'disk:/Архив фото', nodes: '  yandex-import:\n    params: { archive: disk }\n  scan:\n    needs: [yandex-import]\n  hash: {}' });
    const taken = '2024-03-08T09:30:00+00:00';
    const day = localIso(Date.parse(taken)).slice(0, 10);
    fake.put('disk:/Фотокамера/IMG_1.jpg', 'camera one', taken);
    fake.put('disk:/Фотокамера/IMG_2.jpg', 'camera two', taken);
    fake.put('disk:/Фотокамера/IMG_3.jpg', 'already archived', taken);
    fake.put('disk:/Архив фото/старое/x.jpg', 'already archived');
    fake.put(`disk:/Архив фото/${day.slice(0, 4)}/${day}/IMG_2.jpg`, 'a different photo under the same name');
    const cameraBefore = [...fake.files].filter(([path]) => path.startsWith('disk:/Фотокамера/')).map(([path, file]) => [path, file.content.toString()]);
    const copiesBefore = fake.copies;

    const first = await runCli(['import', 'yandex'], ws.dir);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /imported 2 photos from disk:\/Фотокамера \(1 under a new name\), 1 already in the archive, 0 failed/);
    assert.equal(fake.copies - copiesBefore, 2);
    assert.equal(fake.files.get(`disk:/Архив фото/${day.slice(0, 4)}/${day}/IMG_1.jpg`)?.content.toString(), 'camera one');
    assert.equal(fake.files.get(`disk:/Архив фото/${day.slice(0, 4)}/${day}/IMG_2-1.jpg`)?.content.toString(), 'camera two');
    assert.equal(fake.files.get(`disk:/Архив фото/${day.slice(0, 4)}/${day}/IMG_2.jpg`)?.content.toString(), 'a different photo under the same name', 'nothing overwritten');
    assert.deepEqual([...fake.files].filter(([path]) => path.startsWith('disk:/Фотокамера/')).map(([path, file]) => [path, file.content.toString()]), cameraBefore, 'the camera folder is unchanged');

    const again = await runCli(['import', 'yandex'], ws.dir);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /imported 0 photos .* 3 already in the archive/);
    assert.equal(fake.copies - copiesBefore, 2, 'idempotent by content');

    const run = await runCli(['run'], ws.dir);
    assert.equal(run.code, 0, run.stderr);
    const files = JSON.parse((await runCli(['sql', "SELECT path FROM latest.files WHERE source = 'disk' ORDER BY path", '--json'], ws.dir)).stdout) as { path: string }[];
    assert.deepEqual(files.map((row) => row.path), [`${day.slice(0, 4)}/${day}/IMG_1.jpg`, `${day.slice(0, 4)}/${day}/IMG_2-1.jpg`, `${day.slice(0, 4)}/${day}/IMG_2.jpg`, 'старое/x.jpg']);
  });

  test('no token appears in anything the tests saw mnemo print or report', () => {
    assert.ok(fake.issued.length > 0);
    const all = seenOutput.join('\n');
    for (const token of fake.issued) assert.ok(!all.includes(token), 'a token leaked into the output');
    assert.ok(!all.includes('fake-secret-value'), 'the client secret leaked into the output');
    // The catalog (runs, errors, metadata), the Parquet tables, the listing state and the views.
    for (const dir of workspaceDirs) {
      for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
        const path = join(entry.parentPath, entry.name);
        if (!entry.isFile() || path.includes(`${join('data', 'credentials')}`)) continue;
        const bytes = readFileSync(path).toString('latin1');
        for (const token of fake.issued) assert.ok(!bytes.includes(token), `a token is stored in ${path}`);
      }
    }
  });
});
