// What the latency bench's tick source and its two stage processes share: topics, the strategy, and the counters they report.
import { pino } from 'pino';
import { KafkaBus, kafkaBrokersFromEnv } from '@qts/adapters';
import type { Bus } from '@qts/core';
import { namespacedBus } from '../runtime/namespaced-bus.ts';

export const STRATEGY_ID = 'flow-imbalance-bench';
/** A hyperactive setting on purpose: a view change every ~10 trades gives hundreds of orders per second to time. */
export const STRATEGY_PARAMS = { window: 20, threshold: 0.25 } as const;
export const INSTRUMENTS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT'] as const;
export const ACCOUNT = 'latency-bench';

/** Cumulative counts a stage sends its parent on request; the parent checks them against each other for loss. */
export interface StageReport {
  readonly kind: 'report';
  /** Strategy: ticks handled (distinct ids) and ids seen again. Executor: signals decided (distinct) and seen again. */
  readonly handled: number;
  readonly duplicates: number;
  /** Strategy: signals emitted. Executor: OrderRequested published. */
  readonly emitted: number;
  /** Executor only: OrderRejected published (risk said no) and signals that needed no order (target already held). */
  readonly rejected: number;
  readonly noOrder: number;
  /** Executor only: ticks handled for marks and fills, and fills made. */
  readonly ticks: number;
  readonly fills: number;
  /** CPU time of the process, µs. */
  readonly cpuMicros: number;
}

export type ParentMessage = { kind: 'report' } | { kind: 'stop' };
export type StageMessage = { kind: 'ready' } | StageReport;

/** The real Kafka bus (KAFKA_BROKERS) under the bench's namespace. */
export function benchBus(namespace: string, name: string): Bus {
  const logger = pino({ level: 'warn', base: { stage: name } }, pino.destination(2));
  // A short idle fetch wait: it bounds how long a stop waits, not the latency (a fetch returns as soon as data arrives).
  return namespacedBus(new KafkaBus({ brokers: kafkaBrokersFromEnv(), clientId: `qts-latency-${name}`, logger, consumer: { maxWaitTimeInMs: 100 } }), namespace);
}

/** Runs a stage as a child process: answers report requests, stops on request or when the parent goes away. */
export function serveStage(report: () => Omit<StageReport, 'kind' | 'cpuMicros'>, stop: () => Promise<void>): void {
  const send = (m: StageMessage) => process.send?.(m);
  process.on('message', (m: ParentMessage) => {
    if (m.kind === 'report') {
      const cpu = process.cpuUsage();
      send({ kind: 'report', ...report(), cpuMicros: cpu.user + cpu.system });
    } else if (m.kind === 'stop') {
      void stop().finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => { void stop().finally(() => process.exit(0)); });
  send({ kind: 'ready' });
}

/**
 * Wall-clock epoch ms with sub-ms precision, for the per-hop breakdown across processes (their clocks
 * agree to well under a millisecond on one machine). The end-to-end figure uses one process's clock only.
 */
export const wallNow = (): number => performance.timeOrigin + performance.now();
