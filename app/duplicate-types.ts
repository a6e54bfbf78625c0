// The shapes of the Duplicates view that app/duplicates.ts, the server and
// the web client share (no imports: the web app type-checks this file too).

export type DuplicateKind = 'exact' | 'near';

export interface DuplicateMember {
  fileId: string;
  source: string;
  /** Relative to the source folder. */
  path: string;
  /** File size in bytes. */
  size: number;
  /** The file's modification time (ISO), as the latest scan saw it. */
  modifiedAt: string | null;
  sha256: string;
  /** Picture size in pixels (the content without borders when the images node measured it). */
  width: number | null;
  height: number | null;
  /** Capture time as the camera wrote it (EXIF), null when unknown. */
  takenAt: string | null;
  /** Camera make and model (EXIF), null when unknown. */
  camera: string | null;
  hasExif: boolean;
  /** Near-duplicates: dHash and pHash distance to the suggested keeper (0 for it). */
  dhashDistance: number | null;
  phashDistance: number | null;
  /** 'moved': moved into `_delete` by the workbench after the latest run (the next scan records it as deleted). */
  state: 'present' | 'moved';
}

export interface DuplicateGroup {
  /** Stable across runs: `exact:<sha256>` or `near:<sha256 of the members' sha256s>`. */
  key: string;
  kind: DuplicateKind;
  members: DuplicateMember[];
  /** The file mnemo suggests keeping, and why, in words. */
  suggestedKeeper: string;
  reason: string;
  /** The keeper a person confirmed or chose, null while undecided. */
  decision: { keeperFileId: string; decidedAt: string; author: string } | null;
  /** The decided keeper, else the suggested one. */
  keeper: string;
}

export interface DuplicateGroups {
  runId: number | null;
  /** Groups in the latest run, before paging. */
  total: number;
  exact: number;
  near: number;
  decided: number;
  /** Files that are not the keeper of a decided group and are still in place: what export and move cover. */
  nonKeepers: number;
  nonKeeperBytes: number;
  offset: number;
  limit: number;
  groups: DuplicateGroup[];
}

export interface MovePlanFile {
  fileId: string;
  groupKey: string;
  source: string;
  path: string;
  /** Where it goes, relative to the source folder: `_delete/<path>`. */
  toPath: string;
  size: number;
}

export interface MovePlan {
  /** Send it back to carry out exactly this plan (valid for 10 minutes, once). */
  token: string;
  files: MovePlanFile[];
  bytes: number;
  /** Non-keepers that will not be moved, and why (outside the archive, changed since the run, keeper missing, ...). */
  refused: { fileId: string; path: string; reason: string }[];
}

export interface MoveResult {
  moved: MovePlanFile[];
  refused: { fileId: string; path: string; reason: string }[];
}
