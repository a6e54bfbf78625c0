import { z } from 'zod';
import { defineNode } from '../dag/node-type.ts';
import { parquetSource, queryRows } from '../datasets/parquet.ts';
import { DEFAULT_NEAR_DUPLICATE_OPTIONS, groupNearDuplicates } from '../imaging/near-duplicates.ts';
import { hexToHash } from '../imaging/perceptual-hash.ts';

interface Candidate {
  file_id: string;
  dhash: string;
  phash: string;
  content_width: number;
  content_height: number;
  has_exif: boolean;
  taken_at_ms: number | null;
}

export const nearDuplicates = defineNode({
  name: 'near_duplicates',
  version: '1',
  description: 'Groups re-compressed, resized, re-tagged or letterboxed copies by perceptual-hash distance, with a suggested keeper per group.',
  params: z.object({
    // Defaults sit between the largest true-duplicate distance (5 / 10) and the
    // smallest unrelated one (19 / 20) measured on the fixtures and demo photos.
    dhashMaxDistance: z.number().int().min(0).max(32).default(DEFAULT_NEAR_DUPLICATE_OPTIONS.dhashMaxDistance),
    phashMaxDistance: z.number().int().min(0).max(32).default(DEFAULT_NEAR_DUPLICATE_OPTIONS.phashMaxDistance),
    /** 'both': an edge needs both hashes within their thresholds; 'either': one is enough. */
    rule: z.enum(['both', 'either']).default(DEFAULT_NEAR_DUPLICATE_OPTIONS.rule),
  }).strict(),
  inputs: ['perceptual_hashes'],
  optionalInputs: ['exif'],
  outputs: {
    near_duplicates: {
      description: 'One row per member of a near-duplicate group; the keeper has the largest content resolution, then EXIF, then the oldest capture.',
      columns: { group_id: 'VARCHAR', file_id: 'VARCHAR', hash_kind: 'VARCHAR', distance: 'INTEGER', dhash_distance: 'INTEGER', phash_distance: 'INTEGER', linked_file_id: 'VARCHAR', is_keeper: 'BOOLEAN' },
    },
  },
  async run(ctx) {
    const exif = ctx.inputs.exif
      ? `LEFT JOIN (SELECT file_id, (make IS NOT NULL OR model IS NOT NULL OR taken_at IS NOT NULL) AS has_exif, epoch_ms(try_strptime(taken_at, ['%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M:%S.%f'])) AS taken_at_ms FROM ${parquetSource(ctx.inputs.exif)}) e USING (file_id)`
      : 'LEFT JOIN (SELECT NULL::VARCHAR AS file_id, false AS has_exif, NULL::BIGINT AS taken_at_ms) e USING (file_id)';
    const rows = await queryRows<Candidate>(
      `SELECT h.file_id, h.dhash, h.phash, h.content_width, h.content_height, coalesce(e.has_exif, false) AS has_exif, e.taken_at_ms
       FROM ${parquetSource(ctx.inputs.perceptual_hashes!)} h ${exif}`,
    );
    ctx.progress.total(rows.length);
    const groups = groupNearDuplicates(
      rows.map((row) => ({
        fileId: row.file_id,
        dhash: hexToHash(row.dhash),
        phash: hexToHash(row.phash),
        width: row.content_width,
        height: row.content_height,
        hasExif: row.has_exif,
        takenAt: row.taken_at_ms === null ? null : Number(row.taken_at_ms),
      })),
      ctx.params,
    );
    ctx.progress.advance(rows.length);
    await ctx.writeTable('near_duplicates', groups.map((row) => ({
      group_id: row.groupId, file_id: row.fileId, hash_kind: row.hashKind, distance: row.distance,
      dhash_distance: row.dhashDistance, phash_distance: row.phashDistance, linked_file_id: row.linkedFileId, is_keeper: row.isKeeper,
    })));
    return { photos: rows.length, groups: new Set(groups.map((row) => row.groupId)).size, grouped: groups.length };
  },
});
