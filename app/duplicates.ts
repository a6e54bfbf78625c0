// The Duplicates view's use cases: the latest run's exact duplicates (hash
// node: identical bytes) and near-duplicates (near_duplicates node: resized,
// re-compressed, letterboxed copies) as groups with a suggested keeper and
// why; the keeper a person confirms or chooses (durable, keyed by content so
// it survives re-runs: datasets/duplicate-decisions.ts); the non-keepers of
// decided groups as CSV; and moving them into a `_delete` folder of their
// source, only with the token of a plan the person saw. Nothing is ever
// deleted: the next scan records a moved file as deleted ("moved to
// _delete/..."), files/lifecycle.ts, and moving it back restores it.
import { randomBytes } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { exactGroupKey, nearGroupKey, readDuplicateDecisions, readDuplicateMoves, recordDuplicateMove, writeDuplicateDecision, type DuplicateMove } from '../datasets/duplicate-decisions.ts';
import { moveWithoutReplacing, parentOf } from '../datasets/atomic-file.ts';
import type { Catalog } from '../datasets/catalog.ts';
import { defaultAuthor } from '../datasets/persons.ts';
import { hasRunViews, latestRunId, runById } from '../datasets/run-registry.ts';
import { DELETE_FOLDER } from '../files/lifecycle.ts';
import { filePath } from '../files/file-path.ts';
import { archiveRows, realArchivePath } from './archive-files.ts';
import type { DuplicateGroup, DuplicateGroups, DuplicateKind, DuplicateMember, MovePlan, MovePlanFile, MoveResult } from './duplicate-types.ts';
import { invalid, notFound, translated } from './errors.ts';
import type { Workspace } from './workspace.ts';

export type { DuplicateGroup, DuplicateGroups, MovePlan, MoveResult };

interface MemberRow {
  group_ref: string;
  file_id: string;
  source: string;
  path: string;
  size: number | bigint;
  mtime_ms: number | null;
  modified_at: string | null;
  sha256: string;
  width: number | null;
  height: number | null;
  taken_at: string | null;
  camera: string | null;
  has_exif: boolean;
  dhash_distance: number | null;
  phash_distance: number | null;
  is_keeper: boolean;
}

/** Everything about the latest run's groups the view and the move need. */
interface LatestGroups {
  runId: number | null;
  runStartedAt: Date | null;
  groups: DuplicateGroup[];
  /** file_id -> modification time in ms as the run saw it (the move refuses a file changed since). */
  mtimes: Map<string, number | null>;
}

function memberSql(kind: DuplicateKind, views: Set<string>): string {
  const exif = views.has('exif');
  const pixels = views.has('perceptual_hashes');
  const joins = [
    exif ? 'LEFT JOIN latest.exif e USING (file_id)' : '',
    pixels ? 'LEFT JOIN latest.perceptual_hashes p USING (file_id)' : '',
  ].join(' ');
  const exifColumns = exif
    ? `e.taken_at, nullif(trim(CASE WHEN starts_with(lower(e.model), lower(e.make)) THEN e.model ELSE concat_ws(' ', e.make, e.model) END), '') AS camera, (e.make IS NOT NULL OR e.model IS NOT NULL OR e.taken_at IS NOT NULL) AS has_exif,`
    : 'NULL::VARCHAR AS taken_at, NULL::VARCHAR AS camera, false AS has_exif,';
  // The near_duplicates node chose its keeper on the content size (borders trimmed); say the same size here.
  const size = pixels ? `p.content_width AS width, p.content_height AS height,` : exif ? 'e.width, e.height,' : 'NULL::INTEGER AS width, NULL::INTEGER AS height,';
  const common = `f.source, f.path, f.size, epoch_ms(f.mtime)::DOUBLE AS mtime_ms, strftime(f.mtime, '%Y-%m-%dT%H:%M:%S') AS modified_at, ${size} ${exifColumns}`;
  if (kind === 'exact') {
    return `SELECT d.sha256 AS group_ref, file_id, ${common} d.sha256, NULL::INTEGER AS dhash_distance, NULL::INTEGER AS phash_distance, false AS is_keeper
      FROM latest.duplicates d JOIN latest.files f USING (file_id) ${joins} ORDER BY group_ref, file_id`;
  }
  return `SELECT n.group_id AS group_ref, file_id, ${common} h.sha256, n.dhash_distance, n.phash_distance, n.is_keeper
    FROM latest.near_duplicates n JOIN latest.files f USING (file_id) JOIN latest.hashes h USING (file_id) ${joins}
    WHERE h.sha256 IS NOT NULL ORDER BY group_ref, file_id`;
}

const pixelsOf = (m: DuplicateMember) => (m.width ?? 0) * (m.height ?? 0);
const sizeText = (m: DuplicateMember) => (m.width && m.height ? `${m.width}×${m.height}` : 'unknown size');
const dateText = (iso: string | null) => (iso ? iso.slice(0, 10) : 'unknown');

function bytesText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

/** Identical bytes: keep the oldest file (the original, copies are newer), then the shortest path. */
function exactKeeper(members: DuplicateMember[], mtimes: Map<string, number | null>): { keeper: string; reason: string } {
  const sorted = [...members].sort((a, b) => (mtimes.get(a.fileId) ?? Infinity) - (mtimes.get(b.fileId) ?? Infinity) || a.path.length - b.path.length || (a.path < b.path ? -1 : 1));
  const keeper = sorted[0]!;
  const sameTime = sorted.filter((m) => mtimes.get(m.fileId) === mtimes.get(keeper.fileId)).length > 1;
  const why = sameTime ? `the same file date, so the shortest path (${keeper.path})` : `the oldest file (modified ${dateText(keeper.modifiedAt)}): copies are made later`;
  return { keeper: keeper.fileId, reason: `Identical bytes (${bytesText(keeper.size)} each): any copy will do; keeps ${why}.` };
}

/** Says in words why the near_duplicates node's keeper won, by its own order: resolution, then EXIF, then the oldest capture. */
function nearReason(keeper: DuplicateMember, others: DuplicateMember[]): string {
  if (others.length === 0) return 'The only member.';
  const smaller = others.filter((m) => pixelsOf(m) < pixelsOf(keeper));
  const tied = others.filter((m) => pixelsOf(m) >= pixelsOf(keeper));
  const rest = smaller.length ? ` (${tied.length ? 'the rest' : 'the others'} at most ${sizeText(smaller.reduce((best, m) => (pixelsOf(m) > pixelsOf(best) ? m : best)))})` : '';
  if (tied.length === 0) return `Largest picture: ${sizeText(keeper)}${rest}: the most detail.`;
  const head = `Largest picture: ${sizeText(keeper)}${rest}. ${tied.length === 1 ? `${tied[0]!.path} is` : `${tied.length} others are`} as large`;
  if (tied.every((m) => m.sha256 === keeper.sha256)) return `${head} with the same bytes: of identical files, the oldest file is kept (then the shortest path).`;
  if (keeper.hasExif && tied.some((m) => !m.hasExif)) return `${head}, but this one has EXIF (${[keeper.camera, keeper.takenAt && `taken ${dateText(keeper.takenAt)}`].filter(Boolean).join(', ') || 'camera facts'}): the original, not a re-export.`;
  if (keeper.takenAt && tied.every((m) => !m.takenAt || m.takenAt > keeper.takenAt!)) return `${head}; this is the oldest capture (${dateText(keeper.takenAt)}).`;
  return `${head}, with the same EXIF and capture date: the first by file id.`;
}

async function readLatestGroups(catalog: Catalog): Promise<LatestGroups> {
  const runId = await latestRunId(catalog);
  if (runId === null) return { runId: null, runStartedAt: null, groups: [], mtimes: new Map() };
  const run = await runById(catalog, runId);
  const views = new Set<string>();
  for (const view of ['files', 'hashes', 'duplicates', 'near_duplicates', 'exif', 'perceptual_hashes']) if (await hasRunViews(catalog, 'latest', [view])) views.add(view);
  const rows: { kind: DuplicateKind; row: MemberRow }[] = [];
  if (views.has('files') && views.has('duplicates')) for (const row of await catalog.rows<MemberRow>(memberSql('exact', views))) rows.push({ kind: 'exact', row });
  if (views.has('files') && views.has('hashes') && views.has('near_duplicates')) for (const row of await catalog.rows<MemberRow>(memberSql('near', views))) rows.push({ kind: 'near', row });
  const decisions = await readDuplicateDecisions(catalog);
  const moves = await readDuplicateMoves(catalog);
  // Moved after this run started: the run still lists the file, the next scan will not.
  const movedNow = new Set(moves.filter((move: DuplicateMove) => run && move.movedAt > run.started_at).map((move) => move.fileId));

  const mtimes = new Map<string, number | null>();
  const byGroup = new Map<string, { kind: DuplicateKind; members: DuplicateMember[]; keeper: string | null }>();
  for (const { kind, row } of rows) {
    const ref = `${kind}\0${row.group_ref}`;
    let group = byGroup.get(ref);
    if (!group) byGroup.set(ref, (group = { kind, members: [], keeper: null }));
    mtimes.set(row.file_id, row.mtime_ms === null ? null : Number(row.mtime_ms));
    group.members.push({
      fileId: row.file_id, source: row.source, path: row.path, size: Number(row.size), modifiedAt: row.modified_at, sha256: row.sha256,
      width: row.width, height: row.height, takenAt: row.taken_at, camera: row.camera, hasExif: Boolean(row.has_exif),
      dhashDistance: row.dhash_distance, phashDistance: row.phash_distance, state: movedNow.has(row.file_id) ? 'moved' : 'present',
    });
    if (row.is_keeper) group.keeper = row.file_id;
  }

  const groups: DuplicateGroup[] = [];
  for (const { kind, members, keeper } of byGroup.values()) {
    let suggested: { keeper: string; reason: string };
    if (kind === 'exact') suggested = exactKeeper(members, mtimes);
    else {
      const nodeKeeper = members.find((m) => m.fileId === keeper) ?? members[0]!;
      // Among identical copies of the node's keeper, the one the exact rule picks: both views then suggest the same file.
      const copies = members.filter((m) => m.sha256 === nodeKeeper.sha256);
      const chosen = copies.length > 1 ? members.find((m) => m.fileId === exactKeeper(copies, mtimes).keeper)! : nodeKeeper;
      suggested = { keeper: chosen.fileId, reason: nearReason(chosen, members.filter((m) => m !== chosen)) };
    }
    const key = kind === 'exact' ? exactGroupKey(members[0]!.sha256) : nearGroupKey(members.map((m) => m.sha256));
    const decided = decisions.get(key);
    // The decided file, or (renamed since) a member with its content.
    const decidedMember = decided ? members.find((m) => m.fileId === decided.keeperFileId) ?? (kind === 'near' ? members.find((m) => m.sha256 === decided.keeperSha256) : undefined) : undefined;
    members.sort((a, b) => Number(b.fileId === suggested.keeper) - Number(a.fileId === suggested.keeper) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    groups.push({
      key, kind, members, suggestedKeeper: suggested.keeper, reason: suggested.reason,
      decision: decided && decidedMember ? { keeperFileId: decidedMember.fileId, decidedAt: decided.decidedAt.toISOString(), author: decided.author } : null,
      keeper: decidedMember?.fileId ?? suggested.keeper,
    });
  }
  // Undecided first (what is left to do), then the largest groups.
  groups.sort((a, b) => Number(a.decision !== null) - Number(b.decision !== null) || b.members.length - a.members.length || (a.key < b.key ? -1 : 1));
  return { runId, runStartedAt: run?.started_at ?? null, groups, mtimes };
}

function loadGroups(workspace: Workspace): Promise<LatestGroups> {
  if (!workspace.store.exists()) return Promise.resolve({ runId: null, runStartedAt: null, groups: [], mtimes: new Map() });
  return translated(() => workspace.store.read(readLatestGroups));
}

/**
 * The non-keepers of decided groups that are still in place. A file can be
 * in an exact group and a near group at once: the keeper of any decided
 * group is never a non-keeper of another.
 */
function nonKeepersOf(groups: DuplicateGroup[]): { group: DuplicateGroup; member: DuplicateMember; keeper: DuplicateMember }[] {
  const keepers = new Set(groups.filter((g) => g.decision).map((g) => g.keeper));
  const seen = new Set<string>();
  return groups.flatMap((group) => {
    if (!group.decision) return [];
    const keeper = group.members.find((m) => m.fileId === group.keeper)!;
    return group.members
      .filter((m) => !keepers.has(m.fileId) && m.state === 'present' && !seen.has(m.fileId) && seen.add(m.fileId))
      .map((member) => ({ group, member, keeper }));
  });
}

export interface DuplicateListOptions {
  kind?: DuplicateKind | 'all';
  offset?: number;
  limit?: number;
}

export async function duplicateGroups(workspace: Workspace, options: DuplicateListOptions = {}): Promise<DuplicateGroups> {
  const { runId, groups } = await loadGroups(workspace);
  const kind = options.kind ?? 'all';
  const shown = kind === 'all' ? groups : groups.filter((g) => g.kind === kind);
  const offset = options.offset ?? 0;
  const limit = options.limit ?? 50;
  const nonKeepers = nonKeepersOf(groups);
  return {
    runId,
    total: shown.length,
    exact: groups.filter((g) => g.kind === 'exact').length,
    near: groups.filter((g) => g.kind === 'near').length,
    decided: groups.filter((g) => g.decision).length,
    nonKeepers: nonKeepers.length,
    nonKeeperBytes: nonKeepers.reduce((sum, n) => sum + n.member.size, 0),
    offset,
    limit,
    groups: shown.slice(offset, offset + limit),
  };
}

/** Records the keeper of one group of the latest run (confirming the suggestion, or another member). */
export async function decideKeeper(workspace: Workspace, groupKey: string, keeperFileId: string, author = defaultAuthor()): Promise<DuplicateGroup> {
  const { groups } = await loadGroups(workspace);
  const group = groups.find((g) => g.key === groupKey);
  if (!group) throw notFound(`no duplicate group ${groupKey} in the latest run (a re-run may have changed its members: reload the list)`);
  const keeper = group.members.find((m) => m.fileId === keeperFileId);
  if (!keeper) throw invalid(`file ${keeperFileId} is not a member of duplicate group ${groupKey} (its members: ${group.members.map((m) => m.fileId).join(', ')})`);
  await translated(() => workspace.store.write((catalog) => writeDuplicateDecision(catalog, { groupKey, kind: group.kind, keeperFileId, keeperSha256: keeper.sha256, members: group.members.length, author })));
  return (await loadGroups(workspace)).groups.find((g) => g.key === groupKey)!;
}

const csvField = (value: string | number) => {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** The non-keepers of every decided group, as CSV: what a person may delete after checking. */
export async function nonKeepersCsv(workspace: Workspace): Promise<string> {
  const { groups } = await loadGroups(workspace);
  const header = ['group_key', 'kind', 'file_id', 'source', 'path', 'size', 'sha256', 'keeper_source', 'keeper_path'];
  const lines = nonKeepersOf(groups).map(({ group, member, keeper }) =>
    [group.key, group.kind, member.fileId, member.source, member.path, member.size, member.sha256, keeper.source, keeper.path].map(csvField).join(','),
  );
  return `${[header.join(','), ...lines].join('\n')}\n`;
}

// ---- moving non-keepers into _delete: a plan with a token, then the move ----

const PLAN_LIFETIME_MS = 10 * 60 * 1000;

interface PlannedFile extends MovePlanFile {
  keeperFileId: string;
  sha256: string;
}

/** Plans shown to a person, by token: the move does exactly what the plan said, once. */
const plans = new Map<string, { catalogPath: string; files: PlannedFile[]; expires: number }>();

type Refusal = { fileId: string; path: string; reason: string };

/** Checks every non-keeper against the disk: inside its source, unchanged since the run, keeper present, target free. */
async function checkedMoves(workspace: Workspace, candidates: PlannedFile[], latest: LatestGroups): Promise<{ files: (PlannedFile & { from: string | Buffer; to: string | Buffer })[]; refused: Refusal[] }> {
  const ids = [...new Set(candidates.flatMap((c) => [c.fileId, c.keeperFileId]))];
  const { rows, roots } = await translated(() => workspace.store.read((catalog) => archiveRows(catalog, ids)));
  const files: (PlannedFile & { from: string | Buffer; to: string | Buffer })[] = [];
  const refused: Refusal[] = [];
  for (const candidate of candidates) {
    const refuse = (reason: string) => refused.push({ fileId: candidate.fileId, path: `${candidate.source}:${candidate.path}`, reason });
    const row = rows.get(candidate.fileId);
    const keeperRow = rows.get(candidate.keeperFileId);
    const real = row ? await realArchivePath(row, roots) : null;
    if (!row || !real) {
      refuse('not a file inside its source folder (gone, or a link that leads out of the archive): left alone');
      continue;
    }
    if (!keeperRow || !(await realArchivePath(keeperRow, roots))) {
      refuse('its keeper is not on disk inside the archive: the last copy is never moved');
      continue;
    }
    const now = await stat(real.realPath);
    if (now.size !== candidate.size || Math.trunc(now.mtimeMs) !== latest.mtimes.get(candidate.fileId)) {
      refuse(`changed on disk since run ${latest.runId} (size or date): run the pipeline again, then decide`);
      continue;
    }
    const root = roots.get(row.source)!;
    const to = filePath(join(root, DELETE_FOLDER), row.path, row.path_bytes);
    if (await stat(to).then(() => true, () => false)) {
      refuse(`${candidate.toPath} already exists: nothing is overwritten`);
      continue;
    }
    files.push({ ...candidate, from: filePath(root, row.path, row.path_bytes), to });
  }
  return { files, refused };
}

function candidatesOf(latest: LatestGroups): PlannedFile[] {
  return nonKeepersOf(latest.groups).map(({ group, member, keeper }) => ({
    fileId: member.fileId, groupKey: group.key, source: member.source, path: member.path, toPath: `${DELETE_FOLDER}/${member.path}`, size: member.size, keeperFileId: keeper.fileId, sha256: member.sha256,
  }));
}

/** What a move would do, with the token that confirms it. Changes nothing. */
export async function planMove(workspace: Workspace): Promise<MovePlan> {
  const latest = await loadGroups(workspace);
  const { files, refused } = await checkedMoves(workspace, candidatesOf(latest), latest);
  for (const [token, plan] of plans) if (plan.expires < Date.now()) plans.delete(token);
  const token = randomBytes(18).toString('base64url');
  const planned = files.map(({ from: _from, to: _to, ...file }) => file);
  plans.set(token, { catalogPath: workspace.store.catalogPath, files: planned, expires: Date.now() + PLAN_LIFETIME_MS });
  const shown = planned.map(({ keeperFileId: _k, sha256: _s, ...file }) => file);
  return { token, files: shown, bytes: shown.reduce((sum, f) => sum + f.size, 0), refused };
}

/** Moves the files of a confirmed plan into `_delete` folders of their sources (each checked again first); never overwrites, never deletes. */
export async function moveNonKeepers(workspace: Workspace, token: string, author = defaultAuthor()): Promise<MoveResult> {
  const plan = plans.get(token);
  if (!plan || plan.catalogPath !== workspace.store.catalogPath || plan.expires < Date.now()) {
    throw invalid('no such move plan (unknown, expired after 10 minutes, or already carried out): ask for the plan again and confirm it');
  }
  plans.delete(token); // once
  const latest = await loadGroups(workspace);
  const stillPlanned = new Set(candidatesOf(latest).map((c) => `${c.fileId}\0${c.keeperFileId}`));
  const changed = plan.files.filter((f) => !stillPlanned.has(`${f.fileId}\0${f.keeperFileId}`));
  const { files, refused } = await checkedMoves(workspace, plan.files.filter((f) => stillPlanned.has(`${f.fileId}\0${f.keeperFileId}`)), latest);
  refused.push(...changed.map((f) => ({ fileId: f.fileId, path: `${f.source}:${f.path}`, reason: 'its group or keeper changed since the plan: left alone' })));
  const moved: PlannedFile[] = [];
  try {
    for (const file of files) {
      try {
        await mkdir(parentOf(file.to), { recursive: true });
        await moveWithoutReplacing(file.from, file.to);
        moved.push(file);
      } catch (error) {
        refused.push({ fileId: file.fileId, path: `${file.source}:${file.path}`, reason: `could not move: ${(error as Error).message}` });
      }
    }
  } finally {
    if (moved.length) {
      await translated(() => workspace.store.write(async (catalog) => {
        for (const file of moved) await recordDuplicateMove(catalog, { fileId: file.fileId, groupKey: file.groupKey, source: file.source, fromPath: file.path, toPath: file.toPath, sha256: file.sha256, author });
      }));
    }
  }
  return { moved: moved.map(({ keeperFileId: _k, sha256: _s, ...file }) => file), refused };
}
