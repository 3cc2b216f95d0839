// Reads a stored bar stream (`--data stream:<name>`) from the configured event store into a bar series.
import type { BarClosed } from '@qts/schemas';
import { seriesFromBars, ValidationError, type BadRow, type BarSeries, type OnBadRow } from '@qts/core';
import { loadConfig } from '../runtime/config.ts';
import { openInfrastructure } from '../runtime/compose.ts';
import { createLogger } from '../runtime/log.ts';

/**
 * The stream's BarClosed events in revision order (the store upcasts old versions on read). A bar
 * that does not follow the previous one in time, or whose high/low do not bracket its open and close,
 * is reported by its revision, then skipped or fatal like a bad CSV row.
 */
export async function loadStreamBars(stream: string, onBadRow: OnBadRow): Promise<{ series: BarSeries; badRows: BadRow[] }> {
  const { config } = loadConfig();
  // Reading the store needs no bus: never connect to Kafka for it.
  const infra = await openInfrastructure({ ...config, bus: { kind: 'in-process' } }, createLogger('backtest', 'warn'));
  const bars: BarClosed[] = [];
  const bad: BadRow[] = [];
  try {
    let last = -Infinity;
    for await (const stored of infra.store.readStream(stream)) {
      if (stored.event.type !== 'BarClosed') continue;
      const b = stored.event.data as BarClosed;
      const problem = b.openTime <= last ? (b.openTime === last ? 'duplicate time' : 'out of order')
        : b.high < b.low || b.high < Math.max(b.open, b.close) || b.low > Math.min(b.open, b.close) ? 'high/low do not bracket open and close'
          : bars.length > 0 && (b.instrument !== bars[0]!.instrument || b.timeframe !== bars[0]!.timeframe) ? 'another instrument or timeframe'
            : null;
      if (problem !== null) {
        bad.push({ line: stored.revision, reason: `revision ${stored.revision}: ${problem}`, text: JSON.stringify(b) });
        continue;
      }
      last = b.openTime;
      bars.push(b);
    }
  } finally {
    await infra.close();
  }
  if (bad.length > 0 && onBadRow === 'fail') {
    const shown = bad.slice(0, 10).map((r) => `  ${r.reason}`).join('\n');
    throw new ValidationError(`${bad.length} bad bar(s) in stream ${stream} (use --on-bad-row skip to drop them):\n${shown}`, bad.slice(0, 10).map((r) => ({ path: `revision ${r.line}`, message: r.reason })));
  }
  if (bars.length === 0) throw new ValidationError(`stream ${stream} holds no BarClosed events in the configured event store (${config.eventStore.kind})`, [{ path: 'data', message: 'no bars' }]);
  return { series: seriesFromBars(bars), badRows: bad };
}
