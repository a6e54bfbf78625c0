// Blobs of unit vectors with known labels, for clustering and UMAP tests:
// `count` points per blob, each its blob's random centre plus uniform noise of
// width `spread` per dimension, normalised.
import { mulberry32 } from '../../vectors/umap-fast.ts';

export function unitBlobs(blobCount: number, count: number, dim: number, seed: number, spread: number): { vectors: Float32Array; labels: Int32Array } {
  const random = mulberry32(seed);
  const vectors = new Float32Array(blobCount * count * dim);
  const labels = new Int32Array(blobCount * count);
  for (let b = 0; b < blobCount; b++) {
    const centre = Array.from({ length: dim }, () => random() - 0.5);
    for (let p = 0; p < count; p++) {
      const i = b * count + p;
      labels[i] = b;
      let norm = 0;
      for (let d = 0; d < dim; d++) {
        const value = centre[d]! + (random() - 0.5) * spread;
        vectors[i * dim + d] = value;
        norm += value * value;
      }
      for (let d = 0; d < dim; d++) vectors[i * dim + d] = vectors[i * dim + d]! / Math.sqrt(norm);
    }
  }
  return { vectors, labels };
}
