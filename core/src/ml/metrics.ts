// Out-of-sample classification metrics for probabilities of "up": accuracy, log loss, ROC AUC.

export interface ClassificationMetrics {
  readonly samples: number;
  readonly accuracy: number;
  readonly logLoss: number;
  /** null when only one class is present. */
  readonly rocAuc: number | null;
  /** Share of positives, the accuracy of always saying the majority class is max(base, 1 - base). */
  readonly baseRate: number;
}

const EPS = 1e-7;

/** Metrics of probabilities `p` against 0/1 labels `y` (same length, at least one sample). */
export function classificationMetrics(p: ArrayLike<number>, y: ArrayLike<number>, threshold = 0.5): ClassificationMetrics {
  const n = y.length;
  if (n === 0 || p.length !== n) throw new RangeError(`classificationMetrics: ${p.length} predictions for ${n} labels`);
  let correct = 0;
  let loss = 0;
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const q = Math.min(1 - EPS, Math.max(EPS, p[i]!));
    const yi = y[i]!;
    if ((q >= threshold ? 1 : 0) === yi) correct++;
    loss -= yi === 1 ? Math.log(q) : Math.log(1 - q);
    positives += yi;
  }
  return { samples: n, accuracy: correct / n, logLoss: loss / n, rocAuc: rocAuc(p, y), baseRate: positives / n };
}

/** Area under the ROC curve by the rank-sum (Mann-Whitney) formula; ties get their average rank. */
export function rocAuc(p: ArrayLike<number>, y: ArrayLike<number>): number | null {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[a]! - p[b]!);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && p[order[j + 1]!] === p[order[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (y[order[k]!] === 1) {
        pos++;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
