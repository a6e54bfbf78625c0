// The dot product of two rows of packed vectors: the inner loop of the kNN
// graph, average linkage, suggestions and merge candidates. Four
// accumulators let V8 overlap the multiply-adds (about 2x over one).

/** Sum of x[xAt + d] * y[yAt + d] for d < dim (x and y may be the same array). */
export function dot(x: Float32Array | Float64Array, xAt: number, y: Float32Array | Float64Array, yAt: number, dim: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let d = 0;
  for (; d + 3 < dim; d += 4) {
    s0 += x[xAt + d]! * y[yAt + d]!;
    s1 += x[xAt + d + 1]! * y[yAt + d + 1]!;
    s2 += x[xAt + d + 2]! * y[yAt + d + 2]!;
    s3 += x[xAt + d + 3]! * y[yAt + d + 3]!;
  }
  for (; d < dim; d++) s0 += x[xAt + d]! * y[yAt + d]!;
  return s0 + s1 + s2 + s3;
}
