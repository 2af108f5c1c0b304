/**
 * The k-th smallest of the first n entries of `v` (0-based), in linear expected time: Hoare's
 * quickselect with a median-of-three pivot. Reorders `v[0..n)` so that v[i] ≤ v[k] ≤ v[j] for
 * i < k < j. Percentile colour ranges of whole SR maps (10⁵–10⁶ cells) use it on every gene
 * switch, where a full sort with a comparator took a noticeable part of the switch.
 */
export function kthSmallest(v: Float64Array, n: number, k: number): number {
  if (!(k >= 0 && k < n)) throw new RangeError(`k = ${k} is outside 0…${n - 1}`);
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three at mid: v[lo] ≤ v[mid] ≤ v[hi]
    if (v[mid]! < v[lo]!) swap(v, mid, lo);
    if (v[hi]! < v[lo]!) swap(v, hi, lo);
    if (v[hi]! < v[mid]!) swap(v, hi, mid);
    const pivot = v[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (v[i]! < pivot) i++;
      while (v[j]! > pivot) j--;
      if (i <= j) swap(v, i++, j--);
    }
    // now v[lo..j] ≤ pivot ≤ v[i..hi], and any v[j+1..i-1] equals the pivot
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return v[k]!;
  }
  return v[k]!;
}

function swap(v: Float64Array, a: number, b: number): void {
  const t = v[a]!;
  v[a] = v[b]!;
  v[b] = t;
}
