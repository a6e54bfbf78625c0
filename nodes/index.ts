// Every node type mnemo knows, by name. A pipeline spec refers to these.
import type { NodeType } from '../dag/node-type.ts';
import { hash } from './hash.ts';
import { images } from './images.ts';
import { nearDuplicates } from './near-duplicates.ts';
import { scan } from './scan.ts';

export const NODE_TYPES: ReadonlyMap<string, NodeType> = new Map<string, NodeType>(
  ([scan, hash, images, nearDuplicates] as NodeType[]).map((node) => [node.name, node]),
);

/** The default pipeline that `mnemo init` writes; every node type that is not opt-in joins it. */
export const DEFAULT_PIPELINE: { name: string; type: string; needs: string[]; params: Record<string, unknown>; comment: string }[] = [
  { name: 'scan', type: 'scan', needs: [], params: {}, comment: 'list the files of every source (no contents read)' },
  { name: 'hash', type: 'hash', needs: ['scan'], params: { concurrency: 4 }, comment: 'SHA-256 per file, cached by (path, size, mtime); exact duplicates' },
  {
    name: 'images',
    type: 'images',
    needs: ['scan', 'hash'],
    params: { maxSide: 2048 },
    comment: 'decode each photo once: perceptual hashes, thumbnails, faces (faces.scoreThreshold, faces.qualityThreshold), pets',
  },
  { name: 'near_duplicates', type: 'near_duplicates', needs: [], params: {}, comment: 'resized / re-compressed / letterboxed copies by dHash and pHash distance, with a keeper per group' },
];
