// A bench-only node type that writes the faces table (Parquet, FLOAT[512],
// the columns cluster and assign read) from synthetic embeddings with known
// identities (test/support/synthetic-embeddings.ts), so the real cluster and
// assign nodes run through the real engine without face detection.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineNode } from '../../dag/node-type.ts';
import { writeParquetColumns } from '../../datasets/parquet.ts';
import { quoteString } from '../../datasets/schema.ts';
import { generateSyntheticEmbeddings, type SyntheticEmbeddings } from '../../test/support/synthetic-embeddings.ts';

const generated = new Map<number, SyntheticEmbeddings>();

/** The synthetic faces of size n (generated once per process). */
export function syntheticFaces(n: number): SyntheticEmbeddings {
  let faces = generated.get(n);
  if (!faces) generated.set(n, (faces = generateSyntheticEmbeddings({ n })));
  return faces;
}

export const syntheticFaceId = (i: number): string => `f${i.toString(16).padStart(8, '0')}`;

export const syntheticFacesNode = defineNode({
  name: 'synthetic_faces',
  version: '1',
  description: 'Synthetic faces with known identities (bench only).',
  params: z.object({ n: z.number().int() }).strict(),
  inputs: [],
  outputs: {
    faces: {
      description: 'faces',
      columns: { face_id: 'VARCHAR', file_id: 'VARCHAR', x1: 'DOUBLE', y1: 'DOUBLE', x2: 'DOUBLE', y2: 'DOUBLE', det_score: 'DOUBLE', quality: 'DOUBLE', rejected: 'BOOLEAN', embedding: 'FLOAT[512]' },
    },
    // The photos, so that the workbench's pages (which show where a face is) work on this store.
    files: { description: 'photos', columns: { file_id: 'VARCHAR', source: 'VARCHAR', path: 'VARCHAR', status: 'VARCHAR' } },
  },
  async run(ctx) {
    const faces = syntheticFaces(ctx.params.n);
    // Faces of one group photo share a file_id: the cannot-link groups.
    const fileIds = Array.from({ length: faces.n }, (_, i) => `single-${i}`);
    faces.photos.forEach((photo, p) => photo.forEach((i) => (fileIds[i] = `group-${p}`)));
    const staging = join(ctx.cacheDir, 'staging.parquet');
    mkdirSync(ctx.cacheDir, { recursive: true });
    const constant = (value: number) => new Array<number>(faces.n).fill(value);
    await writeParquetColumns(staging, syntheticFacesNode.outputs.faces!, {
      face_id: Array.from({ length: faces.n }, (_, i) => syntheticFaceId(i)), file_id: fileIds,
      x1: constant(10), y1: constant(10), x2: constant(110), y2: constant(130), det_score: constant(0.95),
      // quality: the embedding's length, as the images node writes it (it drops faces under 2.5).
      quality: Array.from(faces.isLowQuality, (low) => (low ? 2.6 : 6)), rejected: new Array(faces.n).fill(false), embedding: faces.vectors,
    }, faces.n);
    await ctx.writeTableFromQuery('faces', `SELECT * FROM read_parquet(${quoteString(staging)})`);
    await ctx.writeTableFromQuery('files', `SELECT DISTINCT file_id, 'synthetic' AS source, file_id || '.jpg' AS path, 'active' AS status FROM read_parquet(${quoteString(staging)}) ORDER BY file_id`);
    rmSync(staging);
    return { faces: faces.n };
  },
});
