// The pixel pass: decodes every photo once and runs the enabled analyses on
// those pixels (image facts, perceptual hashes, thumbnails, faces, pets).
// Decoding dominates per-photo cost, so the analyses share one decode rather
// than being separate nodes that would each decode again. Every analysis has
// its own per-photo cache keyed by content (SHA-256) and by what changes its
// output, so changing face parameters recomputes faces only, and adding ten
// photos to an analysed archive decodes ten photos.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { WorkerPool } from '../dag/worker-pool.ts';
import { defineNode } from '../dag/node-type.ts';
import { parquetSource, queryRows } from '../datasets/parquet.ts';
import { quoteString, type TableSchema } from '../datasets/schema.ts';
import { faceAnalyzerVersion, faceIdFor, unpackFaces } from '../models/face-analyzer.ts';
import { DECODE_VERSION, DEFAULT_MAX_PIXELS } from '../imaging/image.ts';
import { DEFAULT_PET_INPUT_SIZE, DEFAULT_PET_MODEL, DEFAULT_PET_THRESHOLD, PET_INPUT_SIZE_STEP, petDetectorVersion } from '../models/pet-detector.ts';
import type { PhotoResult, PhotoTask, PhotoTimings } from '../models/photo-worker.ts';
import { AnalysisCache, emptyRelation } from '../datasets/analysis-cache.ts';
import { PERCEPTUAL_HASH_VERSION } from '../imaging/perceptual-hash.ts';
import { DEFAULT_THUMBNAIL_SIZES } from '../imaging/thumbnails.ts';
import { filePath } from '../files/file-path.ts';
import { createHash } from 'node:crypto';

const tags = z.array(z.string()).default([]);
const params = z.object({
  /** Worker threads; 0 = one per core, or fewer when only a few photos need decoding (defaultWorkerCount). Changes speed only, never results. */
  workers: z.number().int().min(0).max(64).default(0),
  /** Photos per cache part: the most a killed run loses. Changes speed only. */
  flushEvery: z.number().int().min(1).max(100_000).default(256),
  /** Photos are decoded with the longer side at most this many pixels (boxes are still reported in original pixels). */
  maxSide: z.number().int().min(256).max(20_000).default(2048),
  /** Decompression-bomb guard: larger images are refused with an error. */
  maxPixels: z.number().int().min(1_000_000).max(1_000_000_000).default(DEFAULT_MAX_PIXELS),
  hashes: z.object({
    enabled: z.boolean().default(true),
    /** Uniform borders (letterbox bars) are trimmed before hashing; null hashes the whole image. */
    trimThreshold: z.number().min(0).max(255).nullable().default(20),
    /** Files of sources with any of these tags are left out. */
    skipTags: tags,
  }).strict().prefault({}),
  thumbnails: z.object({
    enabled: z.boolean().default(true),
    /** Longer sides written by the run. The workbench makes 1024 px itself the first time a page asks (it cost more than decoding here). */
    sizes: z.array(z.number().int().min(32).max(4096)).min(1).default([...DEFAULT_THUMBNAIL_SIZES]),
    skipTags: tags,
  }).strict().prefault({}),
  faces: z.object({
    enabled: z.boolean().default(true),
    scoreThreshold: z.number().min(0).max(1).default(0.7),
    qualityThreshold: z.number().min(0).max(10).default(2.5),
    nmsIou: z.number().gt(0).max(1).default(0.3),
    /** Second detector pass on overlapping tiles, for small faces in group photos. */
    tiled: z.boolean().default(false),
    skipTags: tags,
  }).strict().prefault({}),
  pets: z.object({
    enabled: z.boolean().default(true),
    model: z.enum(['centernet']).default(DEFAULT_PET_MODEL),
    /** centernet's square input side: smaller is faster but called a known dog a cat at 416 and below. */
    inputSize: z.number().int().min(128).max(1024).multipleOf(PET_INPUT_SIZE_STEP).default(DEFAULT_PET_INPUT_SIZE),
    catThreshold: z.number().min(0).max(1).default(0.35),
    dogThreshold: z.number().min(0).max(1).default(0.35),
    /** A box is also a pet when cat + dog scores reach this (the model splits some animals between the two). */
    petThreshold: z.number().min(0).max(2).default(DEFAULT_PET_THRESHOLD),
    skipTags: tags,
  }).strict().prefault({}),
}).strict();
type Params = z.output<typeof params>;

// Result columns per analysis. The caches key them by sha256; the per-run
// tables put file_id in its place.
const FACE_COLUMNS = {
  x1: 'DOUBLE', y1: 'DOUBLE', x2: 'DOUBLE', y2: 'DOUBLE', det_score: 'DOUBLE',
  landmarks5: 'DOUBLE[]', quality: 'DOUBLE', rejected: 'BOOLEAN', reject_reason: 'VARCHAR', embedding: 'FLOAT[512]',
} as const;
const PET_COLUMNS = {
  x1: 'DOUBLE', y1: 'DOUBLE', x2: 'DOUBLE', y2: 'DOUBLE', label: 'VARCHAR', pet_label: 'VARCHAR', score: 'DOUBLE', cat_score: 'DOUBLE', dog_score: 'DOUBLE',
} as const;
const HASH_COLUMNS = { dhash: 'VARCHAR', phash: 'VARCHAR', content_width: 'INTEGER', content_height: 'INTEGER' } as const;

const CACHE_SCHEMAS = {
  info: { description: 'image facts', columns: { sha256: 'VARCHAR', width: 'INTEGER', height: 'INTEGER', format: 'VARCHAR' } },
  hashes: { description: 'perceptual hashes', columns: { sha256: 'VARCHAR', ...HASH_COLUMNS } },
  thumbnails: { description: 'thumbnail sizes written', columns: { sha256: 'VARCHAR', size: 'INTEGER' } },
  faces: { description: 'faces', columns: { sha256: 'VARCHAR', face_id: 'VARCHAR', ...FACE_COLUMNS } },
  pets: { description: 'pets', columns: { sha256: 'VARCHAR', pet_id: 'VARCHAR', ...PET_COLUMNS } },
} satisfies Record<string, TableSchema>;
type Analysis = keyof typeof CACHE_SCHEMAS;

/**
 * What changes each enabled analysis's output: its cache key, and so part of
 * the node's fingerprint (a new model or decoder recomputes). A disabled
 * analysis opens no cache, has no key, and needs no model files.
 */
function cacheKeys(p: Params): Partial<Record<Analysis, unknown>> {
  const keys: Record<Analysis, () => unknown> = {
    info: () => ({ version: 1 }),
    hashes: () => ({ version: PERCEPTUAL_HASH_VERSION, decode: DECODE_VERSION, trimThreshold: p.hashes.trimThreshold, maxSide: p.maxSide }),
    thumbnails: () => ({ version: 1, decode: DECODE_VERSION, sizes: [...p.thumbnails.sizes].sort((a, b) => a - b) }),
    faces: () => ({ version: faceAnalyzerVersion(), decode: DECODE_VERSION, maxSide: p.maxSide, scoreThreshold: p.faces.scoreThreshold, qualityThreshold: p.faces.qualityThreshold, nmsIou: p.faces.nmsIou, tiled: p.faces.tiled }),
    pets: () => ({ version: petDetectorVersion(), decode: DECODE_VERSION, maxSide: p.maxSide, inputSize: p.pets.inputSize, catThreshold: p.pets.catThreshold, dogThreshold: p.pets.dogThreshold, petThreshold: p.pets.petThreshold }),
  };
  return Object.fromEntries((Object.keys(CACHE_SCHEMAS) as Analysis[]).filter((analysis) => enabled(p, analysis)).map((analysis) => [analysis, keys[analysis]()]));
}

function enabled(p: Params, analysis: Analysis): boolean {
  return analysis === 'info' || p[analysis].enabled;
}

function skipTagsOf(p: Params, analysis: Analysis): string[] {
  return analysis === 'info' ? [] : p[analysis].skipTags;
}

interface PhotoFile {
  file_id: string;
  sha256: string;
  source: string;
  path: string;
  path_bytes: Buffer | null;
  tags: string[];
}

export const images = defineNode({
  name: 'images',
  version: '1',
  description: 'Decodes each photo once: image facts, perceptual hashes, thumbnails, faces (detect, align, embed) and pets, each cached per photo.',
  params,
  executionParams: ['workers', 'flushEvery'],
  cacheKeys,
  inputs: ['files', 'hashes'],
  outputs: {
    images: { description: 'Decoded size and format of every readable image.', columns: { file_id: 'VARCHAR', sha256: 'VARCHAR', width: 'INTEGER', height: 'INTEGER', format: 'VARCHAR' } },
    perceptual_hashes: { description: '64-bit dHash and pHash (hex) of the border-trimmed image.', columns: { file_id: 'VARCHAR', ...HASH_COLUMNS } },
    thumbnails: { description: 'WebP thumbnails by SHA-256 (path relative to the data folder).', columns: { file_id: 'VARCHAR', size: 'INTEGER', path: 'VARCHAR' } },
    faces: {
      description: 'Detected faces; face_id is stable across runs (file SHA-256 + rounded box). Rejected faces stay, marked.',
      columns: { face_id: 'VARCHAR', file_id: 'VARCHAR', ...FACE_COLUMNS },
    },
    pets: {
      description: 'Cats and dogs; the model confuses them on close-ups, so both scores are kept and pet_label says "pet".',
      columns: { pet_id: 'VARCHAR', file_id: 'VARCHAR', ...PET_COLUMNS },
    },
  },
  async run(ctx) {
    const p = ctx.params;
    const analyses = (Object.keys(CACHE_SCHEMAS) as Analysis[]).filter((analysis) => enabled(p, analysis));
    const caches = Object.fromEntries(analyses.map((analysis) => [analysis, new AnalysisCache(join(ctx.cacheDir, 'analyses'), analysis, ctx.cacheKeys[analysis], CACHE_SCHEMAS[analysis], p.flushEvery)])) as Partial<Record<Analysis, AnalysisCache>>;
    const thumbnailDir = join(ctx.cacheDir, '..', 'thumbnails');

    const files = await queryRows<PhotoFile>(
      `SELECT f.file_id, h.sha256, f.source, f.path, f.path_bytes, f.tags FROM ${parquetSource(ctx.inputs.files!)} f
       JOIN ${parquetSource(ctx.inputs.hashes!)} h USING (file_id) WHERE h.sha256 IS NOT NULL ORDER BY f.source, f.path`,
    );
    const roots = new Map(ctx.sources.map((source) => [source.name, source.path]));
    const done = Object.fromEntries(await Promise.all(analyses.map(async (analysis) => [analysis, await caches[analysis]!.done()]))) as Record<Analysis, Set<string>>;

    // One task per distinct content; an analysis is wanted when some copy is not skipped by its source tags.
    const tasks = new Map<string, { task: PhotoTask; files: PhotoFile[] }>();
    for (const file of files) {
      const wanted = analyses.filter((analysis) => !done[analysis].has(file.sha256) && !skipTagsOf(p, analysis).some((tag) => file.tags.includes(tag)));
      const entry = tasks.get(file.sha256);
      if (entry) {
        entry.files.push(file);
        applyWanted(entry.task, wanted, p, thumbnailDir);
        continue;
      }
      if (wanted.length === 0) continue;
      const task: PhotoTask = { path: filePath(roots.get(file.source) ?? '', file.path, file.path_bytes), sha256: file.sha256, maxSide: p.maxSide, maxPixels: p.maxPixels, info: false };
      applyWanted(task, wanted, p, thumbnailDir);
      tasks.set(file.sha256, { task, files: [file] });
    }
    ctx.progress.total(tasks.size);

    const totals: PhotoTimings = { decodeMs: 0, smallCopyMs: 0, hashMs: 0, thumbnailMs: 0, detectMs: 0, landmarksMs: 0, embedMs: 0, petsMs: 0 };
    // Wall-clock phases, for benchmarks: start-up (workers and models) shows as the wait for the first result.
    const nodeStart = performance.now();
    let firstResultAt: number | undefined;
    let lastResultAt: number | undefined;
    /** Main-thread time spent storing results: cache columns, cache parts, then the per-run tables. */
    let writeMs = 0;
    let decoded = 0;
    let failed = 0;
    if (tasks.size > 0) {
      const pool = new WorkerPool<PhotoTask, PhotoResult>(new URL('../models/photo-worker.ts', import.meta.url), { size: p.workers || defaultWorkerCount(tasks.size) });
      const queue = [...tasks.values()];
      const inFlight = new Set<Promise<void>>();
      const store = async (entry: { task: PhotoTask; files: PhotoFile[] }, result: PhotoResult) => {
        lastResultAt = performance.now();
        firstResultAt ??= lastResultAt;
        for (const key of Object.keys(totals) as (keyof PhotoTimings)[]) totals[key] += result.timings[key];
        if (!result.ok) {
          failed++;
          for (const file of entry.files) ctx.itemError(`${file.source}:${file.path}`, result.error);
          return;
        }
        decoded++;
        const sha = entry.task.sha256;
        const flushes: AnalysisCache[] = [];
        const add = (analysis: Analysis, columns: Record<string, unknown[] | Float32Array>, count: number) => {
          if (caches[analysis]!.add(sha, columns, count)) flushes.push(caches[analysis]!);
        };
        if (entry.task.info) add('info', { width: [result.info.width], height: [result.info.height], format: [result.info.format] }, 1);
        if (result.hashes) add('hashes', { dhash: [result.hashes.dhash], phash: [result.hashes.phash], content_width: [result.hashes.contentWidth], content_height: [result.hashes.contentHeight] }, 1);
        if (result.thumbnails) add('thumbnails', { size: entry.task.thumbnails!.sizes }, entry.task.thumbnails!.sizes.length);
        if (result.faces) {
          const faces = unpackFaces(result.faces);
          add('faces', {
            face_id: faces.map((face) => faceIdFor(sha, face)),
            x1: faces.map((face) => face.x1), y1: faces.map((face) => face.y1), x2: faces.map((face) => face.x2), y2: faces.map((face) => face.y2),
            det_score: faces.map((face) => face.detScore),
            landmarks5: faces.map((face) => Array.from(face.landmarks5)),
            quality: faces.map((face) => face.quality),
            rejected: faces.map((face) => face.rejected),
            reject_reason: faces.map((face) => face.rejectReason),
            embedding: result.faces.embeddings,
          }, faces.length);
        }
        if (result.pets) {
          const pets = result.pets;
          add('pets', {
            pet_id: pets.map((pet) => createHash('sha256').update(`${sha}:${Math.round(pet.x1 / 8)},${Math.round(pet.y1 / 8)},${Math.round(pet.x2 / 8)},${Math.round(pet.y2 / 8)}:${pet.label}`).digest('hex').slice(0, 16)),
            x1: pets.map((pet) => pet.x1), y1: pets.map((pet) => pet.y1), x2: pets.map((pet) => pet.x2), y2: pets.map((pet) => pet.y2),
            label: pets.map((pet) => pet.label), pet_label: pets.map((pet) => pet.petLabel), score: pets.map((pet) => pet.score),
            cat_score: pets.map((pet) => pet.catScore), dog_score: pets.map((pet) => pet.dogScore),
          }, pets.length);
        }
        // Flushed parts survive a kill: a resumed run starts where this one stopped.
        for (const cache of flushes) await cache.flush();
      };
      try {
        while (queue.length > 0 || inFlight.size > 0) {
          ctx.signal.throwIfAborted();
          while (queue.length > 0 && inFlight.size < pool.size * 2) {
            const entry = queue.shift()!;
            const job = pool.run(entry.task).then(async (result) => {
              const start = performance.now();
              await store(entry, result);
              writeMs += performance.now() - start;
            }).finally(() => {
              inFlight.delete(job);
              ctx.progress.advance();
            });
            inFlight.add(job);
          }
          await Promise.race(inFlight);
        }
      } finally {
        await Promise.allSettled(inFlight);
        await pool.close();
        const start = performance.now();
        for (const cache of Object.values(caches)) await cache.flush();
        writeMs += performance.now() - start;
      }
    }

    const analysedAt = performance.now();
    // Per-run tables: this run's files joined with the caches (one bulk query each).
    const filesSql = `(SELECT f.file_id, f.tags, h.sha256 FROM ${parquetSource(ctx.inputs.files!)} f JOIN ${parquetSource(ctx.inputs.hashes!)} h USING (file_id) WHERE h.sha256 IS NOT NULL)`;
    const columnsOf = (columns: object) => Object.keys(columns).map((name) => `c.${name}`).join(', ');
    // A disabled analysis still yields its (empty) table, so downstream SQL never breaks.
    const fromCache = (analysis: Analysis, select: string, where = 'true') => {
      const relation = caches[analysis]?.source() ?? emptyRelation(CACHE_SCHEMAS[analysis]);
      const skip = skipTagsOf(p, analysis);
      const notSkipped = skip.length ? `NOT list_has_any(f.tags, [${skip.map(quoteString).join(', ')}])` : 'true';
      return `SELECT ${select} FROM ${filesSql} f JOIN ${relation} c USING (sha256) WHERE ${notSkipped} AND ${where}`;
    };
    await ctx.writeTableFromQuery('images', `${fromCache('info', 'f.file_id, c.sha256, c.width, c.height, c.format')} ORDER BY file_id`);
    await ctx.writeTableFromQuery('perceptual_hashes', `${fromCache('hashes', `f.file_id, ${columnsOf(HASH_COLUMNS)}`, 'c.dhash IS NOT NULL')} ORDER BY file_id`);
    const thumbnailPath = `'cache/thumbnails/' || c.sha256[1:2] || '/' || c.sha256 || '-' || c.size || '.webp'`;
    await ctx.writeTableFromQuery('thumbnails', `${fromCache('thumbnails', `f.file_id, c.size, ${thumbnailPath} AS path`, 'c.size IS NOT NULL')} ORDER BY file_id, size`);
    const faceCount = await ctx.writeTableFromQuery('faces', `${fromCache('faces', `c.face_id, f.file_id, ${columnsOf(FACE_COLUMNS)}`, 'c.face_id IS NOT NULL')} ORDER BY file_id, x1`);
    const petCount = await ctx.writeTableFromQuery('pets', `${fromCache('pets', `c.pet_id, f.file_id, ${columnsOf(PET_COLUMNS)}`, 'c.pet_id IS NOT NULL')} ORDER BY file_id, x1`);
    writeMs += performance.now() - analysedAt;
    const perPhoto = (ms: number) => (decoded ? Math.round((ms / decoded) * 10) / 10 : null);
    return {
      photos: new Set(files.map((file) => file.sha256)).size,
      decoded,
      failed,
      faces: faceCount,
      pets: petCount,
      wallMs: {
        firstResult: firstResultAt === undefined ? null : Math.round(firstResultAt - nodeStart),
        lastResult: lastResultAt === undefined ? null : Math.round(lastResultAt - nodeStart),
        tables: Math.round(performance.now() - analysedAt),
      },
      msPerDecodedPhoto: { decode: perPhoto(totals.decodeMs), smallCopy: perPhoto(totals.smallCopyMs), hashes: perPhoto(totals.hashMs), thumbnails: perPhoto(totals.thumbnailMs), detect: perPhoto(totals.detectMs), landmarks: perPhoto(totals.landmarksMs), embed: perPhoto(totals.embedMs), pets: perPhoto(totals.petsMs), write: perPhoto(writeMs) },
    };
  },
});

function applyWanted(task: PhotoTask, wanted: Analysis[], p: Params, thumbnailDir: string): void {
  for (const analysis of wanted) {
    if (analysis === 'info') task.info = true;
    if (analysis === 'hashes') task.hashes = { trimThreshold: p.hashes.trimThreshold };
    if (analysis === 'thumbnails') task.thumbnails = { dir: thumbnailDir, sizes: p.thumbnails.sizes };
    if (analysis === 'faces') task.faces = { scoreThreshold: p.faces.scoreThreshold, qualityThreshold: p.faces.qualityThreshold, nmsIou: p.faces.nmsIou, tiled: p.faces.tiled };
    if (analysis === 'pets') task.pets = { inputSize: p.pets.inputSize, catThreshold: p.pets.catThreshold, dogThreshold: p.pets.dogThreshold, petThreshold: p.pets.petThreshold };
  }
}

/**
 * A worker costs about a second of CPU before its first photo (its modules and
 * three ONNX sessions) and an average photo about a quarter of one, so a run
 * that adds a few photos is faster with fewer workers: 3 photos took 2.1-2.3 s
 * on one worker against 2.4-3.0 s on two, with 2 cores.
 */
export const PHOTOS_PER_WORKER = 4;

/** One worker per PHOTOS_PER_WORKER photos to decode, up to one per core. */
export function defaultWorkerCount(photos: number): number {
  return Math.max(1, Math.min(availableParallelism(), Math.ceil(photos / PHOTOS_PER_WORKER)));
}
