// Seeded synthetic face embeddings with known identities, for tests and the
// People benchmark. The spread is tuned to what face-models.md measured on
// real faces (same-person cosine median ~0.67, 5th percentile ~0.39;
// different-person max ~0.42), and families of look-alike people add the
// overlap that makes clustering chain at archive scale.
import { mulberry32 } from '../../vectors/umap-fast.ts';
import { dot } from '../../vectors/dot.ts';

export interface SyntheticOptions {
  /** Number of faces. */
  n: number;
  /** Embedding width; 512 like the ArcFace model. */
  dim?: number;
  seed?: number;
  /** Exponent of the power law P(faces of a person = s) ∝ s^-exponent; 2 gives ~60% of people seen once. */
  sizeExponent?: number;
  /** Largest number of faces of one person; default max(20, n / 50). */
  maxFacesPerPerson?: number;
  /** Cosine between the centres of two people in one family is drawn uniformly in [0, this]. */
  familySimilarityMax?: number;
  /** Share of faces that sit in group photos (2-5 distinct people): the cannot-link groups. */
  groupPhotoShare?: number;
  /**
   * Share of low-quality faces (blur, low light, profile): far from their
   * person's centre and pulled towards one direction shared by all of them,
   * so they resemble each other across people and bridge clusters, the way
   * chaining happens in real archives. Default 0.
   */
  lowQualityShare?: number;
}

export interface SyntheticEmbeddings {
  n: number;
  dim: number;
  /** n * dim, each row L2-normalised. */
  vectors: Float32Array;
  /** True person of each face, 0..personCount-1. */
  labels: Int32Array;
  /** Family of each face's person: people of one family look alike. */
  families: Int32Array;
  personCount: number;
  /** 1 where the face's person appears only once (a stranger). */
  isStranger: Uint8Array;
  /** 1 for a low-quality face (see SyntheticOptions.lowQualityShare). */
  isLowQuality: Uint8Array;
  /** Faces photographed together (always distinct people): natural cannot-link groups. */
  photos: number[][];
}

// log(1 - cos(face, centre)) ~ N(MU, SIGMA): tuned so the cosine of two faces
// of one person (≈ the product of their two centre cosines) has median 0.67
// and 5th percentile 0.39.
const SPREAD_LOG_MU = -1.8;
const SPREAD_LOG_SIGMA = 0.57;
const MAX_DEVIATION = 0.85;

export function generateSyntheticEmbeddings(options: SyntheticOptions): SyntheticEmbeddings {
  const n = options.n;
  const dim = options.dim ?? 512;
  const random = mulberry32(options.seed ?? 1);
  const gaussian = gaussianSource(random);
  const sizes = personSizes(n, options.sizeExponent ?? 2, options.maxFacesPerPerson ?? Math.max(20, Math.floor(n / 50)), random);
  const personCount = sizes.length;

  // Families of 1-6 people; their centres share a family direction.
  const familyOfPerson = new Int32Array(personCount);
  const familySimilarity: number[] = [];
  const familySimilarityMax = options.familySimilarityMax ?? 0.6;
  for (let person = 0, family = 0; person < personCount; family++) {
    const members = 1 + Math.floor(random() * 6);
    familySimilarity.push(random() * familySimilarityMax);
    for (let m = 0; m < members && person < personCount; m++) familyOfPerson[person++] = family;
  }
  const familyDirections = familySimilarity.map(() => randomUnitVector(dim, gaussian));
  const centres = new Float32Array(personCount * dim);
  for (let person = 0; person < personCount; person++) {
    const family = familyOfPerson[person]!;
    const rho = familySimilarity[family]!;
    const own = randomUnitVector(dim, gaussian);
    const shared = familyDirections[family]!;
    const row = centres.subarray(person * dim, (person + 1) * dim);
    for (let d = 0; d < dim; d++) row[d] = Math.sqrt(rho) * shared[d]! + Math.sqrt(1 - rho) * own[d]!;
    normalise(row);
  }

  // Faces in a shuffled order, so a person's faces are not contiguous.
  const order = shuffledRange(n, random);
  const vectors = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  const families = new Int32Array(n);
  const isStranger = new Uint8Array(n);
  const isLowQuality = new Uint8Array(n);
  const lowQualityShare = options.lowQualityShare ?? 0;
  // Drawn only when used, so the default data set does not depend on this option.
  const blurDirection = lowQualityShare > 0 ? randomUnitVector(dim, gaussian) : undefined;
  let next = 0;
  for (let person = 0; person < personCount; person++) {
    const centre = centres.subarray(person * dim, (person + 1) * dim);
    for (let f = 0; f < sizes[person]!; f++) {
      const face = order[next++]!;
      labels[face] = person;
      families[face] = familyOfPerson[person]!;
      isStranger[face] = sizes[person] === 1 ? 1 : 0;
      const out = vectors.subarray(face * dim, (face + 1) * dim);
      if (blurDirection && random() < lowQualityShare) {
        isLowQuality[face] = 1;
        // cos to own centre 0.35-0.6, to the shared blur direction 0.5-0.75.
        writeFaceNear(centre, 0.35 + 0.25 * random(), out, gaussian, blurDirection, 0.5 + 0.25 * random());
      } else {
        const deviation = Math.min(MAX_DEVIATION, Math.exp(SPREAD_LOG_MU + SPREAD_LOG_SIGMA * gaussian()));
        writeFaceNear(centre, 1 - deviation, out, gaussian);
      }
    }
  }
  const photos = groupPhotos(labels, options.groupPhotoShare ?? 0.3, random);
  return { n, dim, vectors, labels, families, personCount, isStranger, isLowQuality, photos };
}

/** Cosine statistics of a sample of face pairs, to check the generator against the measured spread. */
export interface SpreadStats {
  samePersonMedian: number;
  samePersonP5: number;
  differentPersonP999: number;
  differentPersonMax: number;
  /** Different people of one family: the look-alikes that cause chaining. */
  sameFamilyP99: number;
}

export function measureSpread(data: SyntheticEmbeddings, pairs = 20000, seed = 7): SpreadStats {
  const random = mulberry32(seed);
  const { n, dim, vectors, labels, families } = data;
  const byPerson = new Map<number, number[]>();
  const byFamily = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    pushTo(byPerson, labels[i]!, i);
    pushTo(byFamily, families[i]!, i);
  }
  const multi = [...byPerson.values()].filter((faces) => faces.length > 1);
  const mixedFamilies = [...byFamily.values()].filter((faces) => faces.some((f) => labels[f] !== labels[faces[0]!]));
  const cos = (a: number, b: number): number => dot(vectors, a * dim, vectors, b * dim, dim);
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!;
  const same: number[] = [];
  const different: number[] = [];
  const family: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const faces = pick(multi);
    const a = pick(faces);
    const b = pick(faces);
    if (a !== b) same.push(cos(a, b));
    const x = Math.floor(random() * n);
    const y = Math.floor(random() * n);
    if (labels[x] !== labels[y]) different.push(cos(x, y));
    if (mixedFamilies.length > 0) {
      const members = pick(mixedFamilies);
      const u = pick(members);
      const v = pick(members);
      if (labels[u] !== labels[v]) family.push(cos(u, v));
    }
  }
  return {
    samePersonMedian: quantile(same, 0.5),
    samePersonP5: quantile(same, 0.05),
    differentPersonP999: quantile(different, 0.999),
    differentPersonMax: quantile(different, 1),
    sameFamilyP99: quantile(family, 0.99),
  };
}

function personSizes(n: number, exponent: number, maxSize: number, random: () => number): number[] {
  const cumulative = new Float64Array(maxSize);
  let total = 0;
  for (let s = 1; s <= maxSize; s++) cumulative[s - 1] = total += Math.pow(s, -exponent);
  const sizes: number[] = [];
  let remaining = n;
  while (remaining > 0) {
    const target = random() * total;
    let lo = 0;
    let hi = maxSize - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    const size = Math.min(lo + 1, remaining);
    sizes.push(size);
    remaining -= size;
  }
  return sizes;
}

/**
 * face = s * centre + q * pull + r * (a random unit direction orthogonal to the centre),
 * r = sqrt(1 - s² - q²), so cos(face, centre) = s (about, with a pull).
 */
function writeFaceNear(centre: Float32Array, s: number, out: Float32Array, gaussian: () => number, pull?: Float32Array, q = 0): void {
  const dim = centre.length;
  let along = 0;
  for (let d = 0; d < dim; d++) {
    out[d] = gaussian();
    along += out[d]! * centre[d]!;
  }
  for (let d = 0; d < dim; d++) out[d] = out[d]! - along * centre[d]!;
  normalise(out);
  const r = Math.sqrt(Math.max(0, 1 - s * s - q * q));
  for (let d = 0; d < dim; d++) out[d] = s * centre[d]! + r * out[d]! + (pull ? q * pull[d]! : 0);
  normalise(out);
}

function groupPhotos(labels: Int32Array, share: number, random: () => number): number[][] {
  const candidates = shuffledRange(labels.length, random).slice(0, Math.floor(labels.length * share));
  const photos: number[][] = [];
  let photo: number[] = [];
  let size = 2 + Math.floor(random() * 4);
  for (const face of candidates) {
    if (photo.some((other) => labels[other] === labels[face])) continue;
    photo.push(face);
    if (photo.length === size) {
      photos.push(photo);
      photo = [];
      size = 2 + Math.floor(random() * 4);
    }
  }
  if (photo.length >= 2) photos.push(photo);
  return photos;
}

function gaussianSource(random: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

function randomUnitVector(dim: number, gaussian: () => number): Float32Array {
  const v = new Float32Array(dim);
  for (let d = 0; d < dim; d++) v[d] = gaussian();
  normalise(v);
  return v;
}

function shuffledRange(n: number, random: () => number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

function normalise(v: Float32Array): void {
  let norm = 0;
  for (let d = 0; d < v.length; d++) norm += v[d]! * v[d]!;
  const scale = 1 / Math.sqrt(norm);
  for (let d = 0; d < v.length; d++) v[d] = v[d]! * scale;
}


function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!;
}

function pushTo(map: Map<number, number[]>, key: number, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
