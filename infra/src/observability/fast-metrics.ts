// Counters and histograms for hot paths: a cached series is a plain object bumped in place, read only when scraped.
import type { Registry } from 'prom-client';

/**
 * prom-client's own children re-hash and re-validate their labels on every inc/observe (about a
 * microsecond each, and garbage); these keep one mutable cell per label set, looked up once.
 */
interface MetricValue { metricName?: string; labels: Record<string, string | number>; value: number }

abstract class Family<L extends string, Cell> {
  protected readonly cells: { labels: Readonly<Record<L, string>>; cell: Cell }[] = [];
  private readonly byKey = new Map<string, Cell>();

  constructor(readonly name: string, readonly help: string, readonly type: 'counter' | 'histogram', registry: Registry) {
    // prom-client's registry takes any object with name, help, type and get(): the text formatter reads `values`.
    registry.registerMetric(this as never);
  }

  /** The cell for these labels; cache it, then bump it on the hot path. */
  series(labels: Readonly<Record<L, string>>): Cell {
    const key = Object.values(labels).join('\u0000');
    let cell = this.byKey.get(key);
    if (!cell) {
      cell = this.create();
      this.byKey.set(key, cell);
      this.cells.push({ labels: { ...labels }, cell });
    }
    return cell;
  }

  protected abstract create(): Cell;
  protected abstract values(): MetricValue[];

  get(): { name: string; help: string; type: string; values: MetricValue[]; aggregator: 'sum' } {
    return { name: this.name, help: this.help, type: this.type, values: this.values(), aggregator: 'sum' };
  }

  reset(): void {
    this.cells.length = 0;
    this.byKey.clear();
  }
}

export interface CounterCell { value: number }

export class FastCounter<L extends string> extends Family<L, CounterCell> {
  constructor(o: { name: string; help: string; registry: Registry }) {
    super(o.name, o.help, 'counter', o.registry);
  }
  protected create(): CounterCell { return { value: 0 }; }
  protected values(): MetricValue[] { return this.cells.map((c) => ({ labels: c.labels, value: c.cell.value })); }
}

export class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }
  /** Allocation-free: a linear scan of the (short) bucket list. */
  observe(v: number): void {
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) { this.counts[i]!++; break; }
    }
    this.sum += v;
    this.count++;
  }
}

export class FastHistogram<L extends string> extends Family<L, HistogramCell> {
  private readonly bounds: readonly number[];
  constructor(o: { name: string; help: string; buckets: readonly number[]; registry: Registry }) {
    super(o.name, o.help, 'histogram', o.registry);
    this.bounds = [...o.buckets].sort((a, b) => a - b);
  }
  protected create(): HistogramCell { return new HistogramCell(this.bounds); }
  protected values(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const { labels, cell } of this.cells) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += cell.counts[i]!;
        out.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: this.bounds[i]! }, value: acc });
      }
      out.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cell.count });
      out.push({ metricName: `${this.name}_sum`, labels, value: cell.sum });
      out.push({ metricName: `${this.name}_count`, labels, value: cell.count });
    }
    return out;
  }
}
