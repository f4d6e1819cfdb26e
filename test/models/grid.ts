/** A 2-D trapezoid rule over [-L, L]^2 with `steps` intervals per axis: points [n * 2] and their weights. */
export function trapezoidGrid(L: number, steps: number): { points: Float32Array; weights: Float64Array; n: number } {
  const h = (2 * L) / steps;
  const m = steps + 1;
  const points = new Float32Array(m * m * 2);
  const weights = new Float64Array(m * m);
  const edge = (i: number) => (i === 0 || i === m - 1 ? 0.5 : 1);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      points.set([-L + i * h, -L + j * h], (i * m + j) * 2);
      weights[i * m + j] = edge(i) * edge(j) * h * h;
    }
  }
  return { points, weights, n: m * m };
}
