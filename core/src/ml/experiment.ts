// A/B experiments between a champion model and challengers: deterministic split assignment, per-variant statistics, and a bootstrap test that concludes promote or reject.
import { seededRandom, unitHash } from './hash.ts';

export interface VariantShare {
  readonly version: string;
  /** Fraction of decisions routed to this variant; shares sum to 1. */
  readonly share: number;
}

export type ExperimentMode = 'split' | 'shadow';

/** Validates shares: each in [0, 1], summing to 1 within 1e-9. */
export function checkShares(variants: readonly VariantShare[]): void {
  if (variants.length < 2) throw new RangeError('an experiment needs a champion and at least one challenger');
  let total = 0;
  for (const v of variants) {
    if (!(v.share >= 0 && v.share <= 1)) throw new RangeError(`share of ${v.version} must be in [0, 1], got ${v.share}`);
    total += v.share;
  }
  if (Math.abs(total - 1) > 1e-9) throw new RangeError(`shares must sum to 1, got ${total}`);
}

/**
 * The variant that owns a decision (e.g. key `BTC/USDT|2026-11-25T10:00Z`), by a hash of the key and
 * the experiment id: the same key always goes to the same variant, across restarts and replicas.
 */
export function assignVariant(experimentId: string, key: string, variants: readonly VariantShare[]): string {
  const u = unitHash(`${experimentId}|${key}`);
  let acc = 0;
  for (const v of variants) {
    acc += v.share;
    if (u < acc) return v.version;
  }
  return variants[variants.length - 1]!.version;
}

/**
 * In split mode the assigned variant trades; in shadow mode only the champion trades and the
 * challengers' signals are recorded for evaluation.
 */
export function tradingVariant(mode: ExperimentMode, champion: string, experimentId: string, key: string, variants: readonly VariantShare[]): string {
  return mode === 'shadow' ? champion : assignVariant(experimentId, key, variants);
}

export interface VariantStats {
  readonly trades: number;
  /** Sum of per-trade net PnL. */
  readonly pnl: number;
  /** Winning trades / trades; null without trades. */
  readonly hitRate: number | null;
  /** Largest peak-to-trough fall of the cumulative PnL, in PnL units (0 with no loss). */
  readonly maxDrawdown: number;
  readonly meanReturn: number | null;
}

/** A variant's closed trades, in time order: net PnL and return (PnL / entry notional). */
export interface VariantTrade {
  readonly pnl: number;
  readonly ret: number;
}

export function variantStats(trades: readonly VariantTrade[]): VariantStats {
  let pnl = 0;
  let wins = 0;
  let peak = 0;
  let dd = 0;
  let sumRet = 0;
  for (const t of trades) {
    pnl += t.pnl;
    sumRet += t.ret;
    if (t.pnl > 0) wins++;
    if (pnl > peak) peak = pnl;
    if (peak - pnl > dd) dd = peak - pnl;
  }
  const n = trades.length;
  return { trades: n, pnl, hitRate: n ? wins / n : null, maxDrawdown: dd, meanReturn: n ? sumRet / n : null };
}

export interface BootstrapOptions {
  readonly resamples?: number;
  readonly seed?: number;
  /** Promote when the one-sided p-value is below this. Default 0.05. */
  readonly alpha?: number;
  /** Below this many trades in either variant the answer is 'inconclusive'. Default 30. */
  readonly minTrades?: number;
}

export interface BootstrapResult {
  readonly decision: 'promote' | 'reject' | 'inconclusive';
  /** P(mean challenger return - mean champion return <= 0) under resampling. */
  readonly pValue: number;
  readonly observedDiff: number;
  readonly resamples: number;
}

/**
 * Bootstrap of the difference in mean per-trade return (challenger - champion): resample each
 * variant's trades with replacement (seeded), count how often the difference is <= 0.
 * Promote when that share is below alpha, reject otherwise.
 */
export function bootstrapCompare(champion: readonly number[], challenger: readonly number[], o: BootstrapOptions = {}): BootstrapResult {
  const resamples = o.resamples ?? 2000;
  const alpha = o.alpha ?? 0.05;
  const minTrades = o.minTrades ?? 30;
  const observedDiff = mean(challenger) - mean(champion);
  if (champion.length < minTrades || challenger.length < minTrades) {
    return { decision: 'inconclusive', pValue: 1, observedDiff: Number.isFinite(observedDiff) ? observedDiff : 0, resamples: 0 };
  }
  const rnd = seededRandom(o.seed ?? 1);
  let notBetter = 0;
  for (let r = 0; r < resamples; r++) {
    const d = resampleMean(challenger, rnd) - resampleMean(champion, rnd);
    if (d <= 0) notBetter++;
  }
  const pValue = (notBetter + 1) / (resamples + 1);
  return { decision: pValue < alpha ? 'promote' : 'reject', pValue, observedDiff, resamples };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function resampleMean(xs: readonly number[], rnd: () => number): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[Math.floor(rnd() * xs.length)]!;
  return s / xs.length;
}

/** The part of a SignalEmitted event an experiment reads. */
export interface VariantSignal {
  readonly direction: 'long' | 'short' | 'flat';
  readonly price: number;
  readonly asOf: number;
  readonly model?: { readonly version: string } | undefined;
}

/**
 * Each variant's hypothetical trades from its own signals (shadow mode records every variant's
 * signals; split mode each variant's share): a position opens at the price of a long/short signal
 * and closes at the price of the next signal that changes direction, net of `feeBps` per side.
 * Signals without a model version are ignored; a position still open at the end is not counted.
 * @example variantTradesFromSignals(signalEvents.map((e) => e.data), 10).get('lstm-btcusdt-1h@3')
 */
export function variantTradesFromSignals(signals: readonly VariantSignal[], feeBps = 0): Map<string, VariantTrade[]> {
  const open = new Map<string, { direction: 'long' | 'short'; price: number }>();
  const out = new Map<string, VariantTrade[]>();
  const fee = feeBps / 10_000;
  for (const s of signals) {
    const v = s.model?.version;
    if (v === undefined) continue;
    if (!out.has(v)) out.set(v, []);
    const pos = open.get(v);
    if (pos && pos.direction === s.direction) continue;
    if (pos) {
      const gross = pos.direction === 'long' ? s.price / pos.price - 1 : pos.price / s.price - 1;
      const ret = gross - 2 * fee;
      out.get(v)!.push({ pnl: ret * pos.price, ret });
      open.delete(v);
    }
    if (s.direction !== 'flat') open.set(v, { direction: s.direction, price: s.price });
  }
  return out;
}

export interface ExperimentVerdict {
  readonly stats: ReadonlyMap<string, VariantStats>;
  readonly champion: string;
  /** The best challenger by bootstrap p-value, with its test. */
  readonly challenger: string | null;
  readonly test: BootstrapResult | null;
}

/** Stats per variant and the bootstrap verdict of the best challenger against the champion. */
export function concludeExperiment(champion: string, trades: ReadonlyMap<string, readonly VariantTrade[]>, o: BootstrapOptions = {}): ExperimentVerdict {
  const stats = new Map<string, VariantStats>();
  for (const [v, t] of trades) stats.set(v, variantStats(t));
  const base = (trades.get(champion) ?? []).map((t) => t.ret);
  let best: { version: string; test: BootstrapResult } | null = null;
  for (const [v, t] of trades) {
    if (v === champion) continue;
    const test = bootstrapCompare(base, t.map((x) => x.ret), o);
    if (best === null || test.pValue < best.test.pValue) best = { version: v, test };
  }
  return { stats, champion, challenger: best?.version ?? null, test: best?.test ?? null };
}
