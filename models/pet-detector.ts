// Finds cats and dogs (and, on request, people) in a decoded photo with
// centernet, a TensorFlow.js graph model from @vladmandic/human, converted to
// ONNX at load (tfjs-to-onnx.ts, heads only) and run on ONNX Runtime with one
// thread, like the face models. The peaks are decoded in JS (centernet-decode.ts), so every
// pet box carries both its cat and its dog score.
//
// The converted model outputs only the person, cat and dog class maps of centernet's 80
// (registry.ts onnxOutputChannels): 11-19% less ORT CPU time and a 6-9x faster peak
// decode, measured under load (docs/pets-onnx.md). The 100 best peaks are taken over
// those three classes; on the fixtures that changed no detection
// (test/pets-golden.test.ts). allClasses runs the 80-class conversion, for the bench
// and the golden test to compare.
//
// The pet decision uses both scores, because the model confuses cats and dogs
// on close-ups: a box is a pet when its cat score reaches catThreshold, its dog
// score reaches dogThreshold, or their sum reaches petThreshold (0.5 by
// default: a known dog scored 0.349 dog / 0.22 cat, missed at 0.35 on either
// alone; photos without pets score at most about 0.08 on either). The kind
// (label) is the larger of the two. One animal never comes back as a cat box
// plus a dog box: cat and dog boxes go through one NMS.
import type * as ort from 'onnxruntime-node';
import { resizeToFit, type RgbImage } from '../imaging/image.ts';
import { centernetPeaks, centernetScore, type CenternetHeads, type CenternetPeak } from './centernet-decode.ts';
import { createSingleThreadSession, float32Tensor } from './onnx-session.ts';
import { getModel, modelVersionId, readOnnxModel } from './registry.ts';

/** Bump when the boxes or scores for the same image and model would change. */
export const PET_DETECTOR_CODE_VERSION = 2;

/**
 * The one pet model. nanodet went with tfjs: its graph needs ops the converter does not have, and
 * centernet's highest cat/dog score on photos without pets was 0.08 against nanodet's 0.14 (docs/pets-install.md).
 */
export type PetModel = 'centernet';
export const DEFAULT_PET_MODEL: PetModel = 'centernet';

/** The input side centernet was trained at; 416 and below called a known dog a cat (../shared/notes/pets-onnx.md). */
export const DEFAULT_PET_INPUT_SIZE = 512;
/** Input sides must be multiples of the network's largest stride. */
export const PET_INPUT_SIZE_STEP = 32;

export interface PetDetectorOptions {
  /** Side of the square (letterboxed) model input; a multiple of 32. Default 512. */
  inputSize?: number;
  /** Run the model converted with all 80 class maps, as before converter version 3 (bench and golden test). Default false. */
  allClasses?: boolean;
}

export interface DetectOptions {
  /** A box is a pet when its cat score reaches this. Default 0.35 (the notes' close-up cat scored 0.45). */
  catThreshold?: number;
  /** A box is a pet when its dog score reaches this. Default 0.35. */
  dogThreshold?: number;
  /** A box is a pet when cat + dog scores reach this. Default 0.5; above 2 turns the rule off. */
  petThreshold?: number;
  /** Also report people with at least this score; people are left out when undefined. */
  personThreshold?: number;
}

export const DEFAULT_PET_THRESHOLD = 0.5;

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

// COCO class indices.
const PERSON = 0;
const CAT = 15;
const DOG = 16;
/** Boxes overlapping more than this are one object (also how a cat peak finds the same animal's dog peak). */
const NMS_IOU = 0.5;
const INPUT_NAME = 'tower_0/images';
const KEYPOINTS = 'tower_0/keypoints';
/** The COCO classes of the converted model's keypoint maps: person, cat and dog. */
const KEPT_CLASS_IDS = getModel('pet-centernet').onnxOutputChannels![KEYPOINTS]!;
const ALL_CLASS_IDS = Array.from({ length: 80 }, (_, i) => i);

/** Code version, model files' hash and converter version: changes whenever the detector's output may change. */
export function petDetectorVersion(): string {
  return `pets-v${PET_DETECTOR_CODE_VERSION}+${modelVersionId('pet-centernet')}`;
}

export function checkPetInputSize(size: number): void {
  if (!Number.isInteger(size) || size < 128 || size > 1024 || size % PET_INPUT_SIZE_STEP !== 0) {
    throw new Error(`pet input size ${size}: must be a multiple of ${PET_INPUT_SIZE_STEP} from 128 to 1024`);
  }
}

/** Where one detect() call spent its time, in milliseconds. */
export interface PetDetectTimings {
  /** Fitting the image into the model's input square as floats (sharp, or a row copy when no resampling is needed). */
  letterboxMs: number;
  /** The ONNX Runtime session run. */
  modelMs: number;
  /** Peak picking, the pet decision and NMS, in JS. */
  peaksMs: number;
}

/** A detection in model-input pixels. */
export interface Candidate {
  label: 'cat' | 'dog' | 'person';
  box: [number, number, number, number]; // x1, y1, x2, y2 in model-input pixels
  score: number;
  catScore: number;
  dogScore: number;
}

export class PetDetector {
  readonly model: PetModel = 'centernet';
  readonly version: string;
  readonly inputSize: number;
  readonly #session: ort.InferenceSession;
  /** The COCO class of each keypoints map the session outputs. */
  readonly #classIds: readonly number[];

  private constructor(session: ort.InferenceSession, inputSize: number, classIds: readonly number[]) {
    this.version = petDetectorVersion();
    this.inputSize = inputSize;
    this.#session = session;
    this.#classIds = classIds;
  }

  static async create(options: PetDetectorOptions = {}): Promise<PetDetector> {
    const inputSize = options.inputSize ?? DEFAULT_PET_INPUT_SIZE;
    checkPetInputSize(inputSize);
    const allClasses = options.allClasses ?? false;
    const session = await createSingleThreadSession(readOnnxModel('pet-centernet', { allOutputChannels: allClasses }));
    const detector = new PetDetector(session, inputSize, allClasses ? ALL_CLASS_IDS : KEPT_CLASS_IDS);
    await detector.detect({ data: new Uint8Array(3 * 32 * 32), width: 32, height: 32 }); // warm up: ORT plans on the first run
    return detector;
  }

  /** Pets (and people when asked) in image, in image's pixels, best first. */
  async detect(image: RgbImage, options: DetectOptions = {}): Promise<PetDetection[]> {
    return (await this.detectTimed(image, options)).detections;
  }

  /** detect(), and where its time went. */
  async detectTimed(image: RgbImage, options: DetectOptions = {}): Promise<{ detections: PetDetection[]; timings: PetDetectTimings }> {
    const t0 = performance.now();
    const input = await this.#input(image);
    const t1 = performance.now();
    const heads = await this.#run(input);
    const t2 = performance.now();
    const found = decodePets(heads, options);
    const toImage = Math.max(image.width, image.height) / this.inputSize; // undoes the letterbox
    const detections = found.map((c): PetDetection => ({
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
    return { detections, timings: { letterboxMs: t1 - t0, modelMs: t2 - t1, peaksMs: performance.now() - t2 } };
  }

  /** The raw heads for image letterboxed into the input square (boxes in input pixels). */
  async heads(image: RgbImage): Promise<CenternetHeads> {
    return this.#run(await this.#input(image));
  }

  async #input(image: RgbImage): Promise<ort.Tensor> {
    const size = this.inputSize;
    return float32Tensor(await letterbox(image, size), [1, size, size, 3]); // NHWC, RGB, 0..255
  }

  async #run(input: ort.Tensor): Promise<CenternetHeads> {
    const size = this.inputSize;
    const outputs = await this.#session.run({ [INPUT_NAME]: input });
    const keypoints = outputs[KEYPOINTS]!;
    const wh = outputs['tower_0/wh']!;
    const [, maps, height, width] = keypoints.dims as [number, number, number, number];
    if (maps !== this.#classIds.length) throw new Error(`centernet gave ${maps} class maps, expected ${this.#classIds.length}`);
    return { keypoints: keypoints.data as Float32Array, wh: wh.data as Float32Array, classIds: this.#classIds, height, width, stride: size / width };
  }

  dispose(): void {
    void this.#session.release();
  }
}

/** Pets, then people when asked, in model-input pixels, best first: the decision and NMS on decoded heads. */
export function decodePets(heads: CenternetHeads, options: DetectOptions = {}): Candidate[] {
  const candidates = petCandidates(centernetPeaks(heads), heads, {
    cat: options.catThreshold ?? 0.35,
    dog: options.dogThreshold ?? 0.35,
    pet: options.petThreshold ?? DEFAULT_PET_THRESHOLD,
    person: options.personThreshold,
  });
  return [...nms(candidates.filter((c) => c.label !== 'person')), ...nms(candidates.filter((c) => c.label === 'person'))];
}

interface Thresholds {
  cat: number;
  dog: number;
  pet: number;
  person: number | undefined;
}

/**
 * Pet and person candidates from the peaks. A cat or dog peak's own score is its class's; its other
 * score is the best of the other class at the same cell and of the other class's peaks on the same
 * animal (IoU > 0.5), as the tfjs path paired a cat box with its dog box.
 */
function petCandidates(peaks: CenternetPeak[], heads: CenternetHeads, t: Thresholds): Candidate[] {
  const cats = peaks.filter((p) => p.cls === CAT);
  const dogs = peaks.filter((p) => p.cls === DOG);
  const candidates: Candidate[] = [];
  for (const peak of [...cats, ...dogs]) {
    const otherClass = peak.cls === CAT ? DOG : CAT;
    const others = peak.cls === CAT ? dogs : cats;
    const otherScore = Math.max(centernetScore(heads, otherClass, peak.cell), ...others.filter((o) => iou(o.box, peak.box) > NMS_IOU).map((o) => o.score));
    const catScore = peak.cls === CAT ? peak.score : otherScore;
    const dogScore = peak.cls === DOG ? peak.score : otherScore;
    if (catScore >= t.cat || dogScore >= t.dog || catScore + dogScore >= t.pet) {
      const label = catScore >= dogScore ? 'cat' : 'dog';
      candidates.push({ label, box: peak.box, score: Math.max(catScore, dogScore), catScore, dogScore });
    }
  }
  if (t.person !== undefined) {
    for (const peak of peaks) {
      if (peak.cls === PERSON && peak.score >= t.person) candidates.push({ label: 'person', box: peak.box, score: peak.score, catScore: 0, dogScore: 0 });
    }
  }
  return candidates;
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

/** The training mean, which pads the letterbox. */
export const PAD_RGB = [124, 116, 104] as const;

/**
 * Fits image into size x size RGB floats, aspect kept, top-left aligned, padded with the training
 * mean (stretching a 3:2 cat close-up made the model call it a dog). sharp resamples from the
 * decoded pixels (the file is not read again) to fit inside the square, and the rows are copied
 * onto the padding here: the same values as sharp's `fit: 'contain'`, whose extra embedding pass
 * cost ~1.8 ms a photo. An image already at the input side (the pet worker's default) is not resampled.
 */
async function letterbox(image: RgbImage, size: number): Promise<Float32Array> {
  const fitted = Math.max(image.width, image.height) === size ? image : await resizeToFit(image, size);
  const out = new Float32Array(size * size * 3);
  out.set(PAD_RGB);
  for (let filled = 3; filled < out.length; filled *= 2) out.copyWithin(filled, 0, filled); // doubling copies of the pad pixel
  const row = fitted.width * 3;
  for (let y = 0; y < fitted.height; y++) out.set(fitted.data.subarray(y * row, (y + 1) * row), y * size * 3);
  return out;
}
