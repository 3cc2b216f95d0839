// Performance metrics of a backtest, each defined exactly here so users can check them against other tools.
//
// Inputs: the equity at each bar's close E_1..E_n, the starting cash E_0 (equity before the first
// bar), the round-trip trades, and how many bars held a position. Per-bar simple returns are
// r_i = E_i / E_{i-1} - 1 for i = 1..n. The risk-free rate is 0 everywhere.
// - totalReturn        E_n / E_0 - 1
// - years              n / periodsPerYear
// - cagr               (E_n / E_0)^(1 / years) - 1            (-1 when equity reached 0)
// - volatility         sample standard deviation of r (n - 1 denominator) * sqrt(periodsPerYear)
// - sharpe             mean(r) / stdev(r) * sqrt(periodsPerYear)                     (null if stdev = 0)
// - sortino            mean(r) / sqrt(sum(min(r_i, 0)^2) / n) * sqrt(periodsPerYear) (null if no down bar)
// - maxDrawdown        max_t (1 - E_t / max_{s<=t} E_s), a fraction (0.25 = 25%), E_0 included as a peak
// - maxDrawdownBars    the longest run of bars spent below a previous peak (until equity regains
//                      it, or the end of the data); maxDrawdownMs the same in time (bars * bar length)
// - calmar             cagr / maxDrawdown                                             (null if no drawdown)
// - trades             closed round trips (a position opened from flat and brought back to flat, or flipped)
// - winRate            trades with net PnL > 0 / trades                               (null if no trades)
// - profitFactor       sum of winning net PnL / |sum of losing net PnL|               (null if no loss)
// - averageTrade       mean net PnL per trade, in quote currency; averageTradeReturn the mean of
//                      each trade's net PnL / its entry notional
// - exposure           bars with a non-zero position at the close / n
// Net PnL of a trade includes the fees of its fills.
//
// periodsPerYear comes from the bar timeframe and the calendar: 365.25 days a year of the bars'
// length (24/7 markets). When the data shows fewer bars per year than that (weekends, nights:
// equities and FX), the observed rate over the data's span is used instead, which gives the usual
// ~252 for daily stock bars. Pass it explicitly to compare with a tool that uses another convention.
import type { RoundTrip } from './trades.ts';

export interface Metrics {
  readonly startEquity: number;
  readonly finalEquity: number;
  readonly totalReturn: number;
  readonly cagr: number;
  readonly volatility: number;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly maxDrawdown: number;
  readonly maxDrawdownBars: number;
  readonly maxDrawdownMs: number;
  readonly calmar: number | null;
  readonly trades: number;
  readonly winRate: number | null;
  readonly profitFactor: number | null;
  readonly averageTrade: number | null;
  readonly averageTradeReturn: number | null;
  readonly exposure: number;
  readonly bars: number;
  readonly periodsPerYear: number;
  readonly totalFees: number;
}

export const YEAR_MS = 365.25 * 86_400_000;

/** Bars per year: the calendar rate for the bar length, or the observed rate when the data has closed sessions. */
export function periodsPerYearFor(barMs: number, bars: number, spanMs: number): number {
  const calendar = YEAR_MS / barMs;
  // Too short a span says nothing about sessions: trust the calendar.
  if (bars < 30 || spanMs < 14 * 86_400_000) return calendar;
  const observed = bars / (spanMs / YEAR_MS);
  return observed < 0.9 * calendar ? observed : calendar;
}

export interface MetricsInput {
  readonly startEquity: number;
  /** Equity at each bar's close. */
  readonly equity: ArrayLike<number>;
  readonly trades: readonly RoundTrip[];
  /** Bars closing with a non-zero position. */
  readonly barsInMarket: number;
  readonly periodsPerYear: number;
  readonly barMs: number;
  readonly totalFees: number;
}

export function computeMetrics(input: MetricsInput): Metrics {
  const { startEquity, equity, trades, periodsPerYear: ppy } = input;
  const n = equity.length;
  const finalEquity = n > 0 ? equity[n - 1]! : startEquity;
  let sum = 0;
  let sumSq = 0;
  let downSq = 0;
  let prev = startEquity;
  let peak = startEquity;
  let maxDd = 0;
  let underwater = 0;
  let longestUnderwater = 0;
  for (let i = 0; i < n; i++) {
    const e = equity[i]!;
    const r = prev > 0 ? e / prev - 1 : 0;
    sum += r;
    sumSq += r * r;
    if (r < 0) downSq += r * r;
    prev = e;
    if (e >= peak) {
      peak = e;
      underwater = 0;
    } else {
      underwater++;
      if (underwater > longestUnderwater) longestUnderwater = underwater;
      const dd = peak > 0 ? 1 - e / peak : 0;
      if (dd > maxDd) maxDd = dd;
    }
  }
  const mean = n > 0 ? sum / n : 0;
  const variance = n > 1 ? (sumSq - n * mean * mean) / (n - 1) : 0;
  const stdev = Math.sqrt(Math.max(0, variance));
  const downDev = n > 0 ? Math.sqrt(downSq / n) : 0;
  const annual = Math.sqrt(ppy);
  const years = n / ppy;
  const growth = startEquity > 0 ? finalEquity / startEquity : 0;
  const cagr = growth <= 0 ? -1 : years > 0 ? Math.pow(growth, 1 / years) - 1 : 0;

  let wins = 0;
  let grossWin = 0;
  let grossLoss = 0;
  let sumReturn = 0;
  for (const t of trades) {
    if (t.pnl > 0) { wins++; grossWin += t.pnl; } else grossLoss += -t.pnl;
    sumReturn += t.returnPct;
  }
  const k = trades.length;
  return {
    startEquity,
    finalEquity,
    totalReturn: startEquity > 0 ? finalEquity / startEquity - 1 : 0,
    cagr,
    volatility: stdev * annual,
    sharpe: stdev > 0 ? (mean / stdev) * annual : null,
    sortino: downDev > 0 ? (mean / downDev) * annual : null,
    maxDrawdown: maxDd,
    maxDrawdownBars: longestUnderwater,
    maxDrawdownMs: longestUnderwater * input.barMs,
    calmar: maxDd > 0 ? cagr / maxDd : null,
    trades: k,
    winRate: k > 0 ? wins / k : null,
    profitFactor: grossLoss > 0 ? grossWin / grossLoss : null,
    averageTrade: k > 0 ? (grossWin - grossLoss) / k : null,
    averageTradeReturn: k > 0 ? sumReturn / k : null,
    exposure: n > 0 ? input.barsInMarket / n : 0,
    bars: n,
    periodsPerYear: ppy,
    totalFees: input.totalFees,
  };
}
