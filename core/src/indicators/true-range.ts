// True range as tulip computes it, shared by ATR and ADX so both round identically to tulind.

/** max(high - low, |high - prevClose|, |low - prevClose|), compared in tulip's order. */
export function trueRange(high: number, low: number, prevClose: number): number {
  const ych = Math.abs(high - prevClose);
  const ycl = Math.abs(low - prevClose);
  let v = high - low;
  if (ych > v) v = ych;
  if (ycl > v) v = ycl;
  return v;
}
