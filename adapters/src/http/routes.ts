// Every route of /api/v1: reads from the read models and the event store, writes through the command port.
import { InfrastructureError, QtsError, type EventStore, type StoredEvent } from '@qts/core';
import { z } from 'zod';
import { Conflict, NotFound } from './errors.ts';
import type { BacktestJobs, Commands, ModelTrainingJobs, ReadModels } from './ports.ts';
import { route, type Route } from './route.ts';
import * as S from './schemas.ts';

export interface RouteDeps {
  readonly read: ReadModels;
  readonly commands: Commands;
  readonly backtests: BacktestJobs;
  /** Model training runs; absent in a process that does not train (POST /models/train answers 503). */
  readonly training?: ModelTrainingJobs | undefined;
  readonly store: EventStore;
  readonly metricsText: () => Promise<{ contentType: string; body: string }>;
  readonly startedAt: number;
}

/** This API process has no training jobs: a retry will not help, another process (or `qts train`) must do it. */
export class TrainingUnavailable extends QtsError {
  readonly kind = 'Unavailable';
  readonly retryable = false;
  constructor() {
    super('model training is not available in this API process; run `npm run qts -- train ...` or start the API with training jobs enabled', {});
  }
}

/** How many stored events one audit query may scan before it answers with a cursor to continue. */
const AUDIT_SCAN_BUDGET = 50_000;

function eventView(s: StoredEvent): z.infer<typeof S.EventView> {
  const e = s.event;
  return {
    position: s.position.toString(), revision: s.revision, id: e.id, type: e.type, version: e.version, stream: e.stream, key: e.key,
    occurredAt: e.occurredAt, recordedAt: e.recordedAt, causationId: e.causationId, correlationId: e.correlationId,
    data: e.data, meta: { ...e.meta },
  };
}

async function auditEvents(store: EventStore, q: z.infer<typeof S.EventsQuery>): Promise<S.Page<z.infer<typeof S.EventView>>> {
  const items: z.infer<typeof S.EventView>[] = [];
  const matches = (s: StoredEvent): boolean =>
    (q.type === undefined || s.event.type === q.type)
    && (q.correlationId === undefined || s.event.correlationId === q.correlationId)
    && (q.instrument === undefined || (s.event.data as { instrument?: unknown }).instrument === q.instrument)
    && (q.asOf === undefined || Date.parse(s.event.recordedAt) <= q.asOf);
  if (q.stream !== undefined) {
    const from = q.cursor !== undefined && /^\d+$/.test(q.cursor) ? Number(q.cursor) : 0;
    let last = -1;
    for await (const s of store.readStream(q.stream, { fromRevision: from, maxCount: q.limit })) {
      last = s.revision;
      if (matches(s)) items.push(eventView(s));
    }
    return { items, nextCursor: last >= 0 && last - from + 1 >= q.limit ? String(last + 1) : null };
  }
  const after = q.cursor !== undefined && /^\d+$/.test(q.cursor) ? BigInt(q.cursor) : undefined;
  let scanned = 0;
  let lastPos: bigint | null = null;
  for await (const s of store.readAll(after === undefined ? { maxCount: AUDIT_SCAN_BUDGET } : { after, maxCount: AUDIT_SCAN_BUDGET })) {
    scanned++;
    lastPos = s.position;
    if (matches(s)) {
      items.push(eventView(s));
      if (items.length >= q.limit) return { items, nextCursor: s.position.toString() };
    }
  }
  return { items, nextCursor: scanned >= AUDIT_SCAN_BUDGET && lastPos !== null ? lastPos.toString() : null };
}

export function apiRoutes(d: RouteDeps): Route[] {
  return [
    route({ method: 'get', path: '/health', summary: 'liveness', tag: 'system', access: 'read', response: S.Health,
      handler: async () => ({ status: 'ok' as const, uptimeSeconds: (Date.now() - d.startedAt) / 1000 }) }),
    route({ method: 'get', path: '/ready', summary: 'readiness: the read-model database answers (503 when not)', tag: 'system', access: 'read', response: S.Readiness, errors: [503],
      handler: async () => {
        let cps: Record<string, string>;
        try { cps = await d.read.checkpoints(); } catch (e) { throw new InfrastructureError('the read-model database does not answer', {}, { cause: e }); }
        return { ready: true, checks: { readModels: { ok: true, detail: `${Object.keys(cps).length} projections` } } };
      } }),
    route({ method: 'get', path: '/metrics', summary: 'Prometheus metrics (text format)', tag: 'system', access: 'read', response: z.string(),
      raw: async (_req, res) => { const m = await d.metricsText(); res.type(m.contentType).send(m.body); },
      handler: async () => '' }),

    route({ method: 'get', path: '/instruments', summary: 'instruments with their latest prices', tag: 'market', access: 'read', response: z.array(S.InstrumentView),
      handler: () => d.read.instruments() }),
    route({ method: 'get', path: '/bars', summary: 'bars for a chart: one instrument and timeframe, a time range, pages by cursor', tag: 'market', access: 'read',
      query: S.BarsQuery, response: S.pages.bars, handler: ({ query }) => d.read.bars(query) }),

    route({ method: 'get', path: '/signals', summary: 'signals, newest first', tag: 'signals', access: 'read', query: S.SignalsQuery, response: S.pages.signals,
      handler: ({ query }) => d.read.signals(query) }),

    route({ method: 'get', path: '/orders', summary: 'orders, most recently updated first', tag: 'orders', access: 'read', query: S.OrdersQuery, response: S.pages.orders,
      handler: ({ query }) => d.read.orders(query) }),
    route({ method: 'get', path: '/orders/:clientOrderId', summary: 'one order with its fills', tag: 'orders', access: 'read', params: S.ClientOrderIdParam,
      response: S.OrderDetail, errors: [404],
      handler: async ({ params }) => (await d.read.order(params.clientOrderId)) ?? Promise.reject(new NotFound('order', params.clientOrderId)) }),
    route({ method: 'post', path: '/orders', summary: 'place a manual order (risk state applies)', tag: 'orders', access: 'write', body: S.ManualOrderBody,
      response: S.Accepted, status: 202, errors: [409],
      handler: ({ body, by, correlationId }) => d.commands.placeManualOrder(body, { by, correlationId }) }),
    route({ method: 'post', path: '/orders/:clientOrderId/cancel', summary: 'ask the venue to cancel an order', tag: 'orders', access: 'write',
      params: S.ClientOrderIdParam, body: S.CancelBody, response: S.Accepted, status: 202, errors: [404, 409],
      handler: ({ params, body, by, correlationId }) => d.commands.cancelOrder(params.clientOrderId, body.reason, { by, correlationId }) }),

    route({ method: 'get', path: '/positions', summary: 'positions per account (strategyId=*) or per strategy', tag: 'portfolio', access: 'read',
      query: S.PositionsQuery, response: z.array(S.PositionView), handler: ({ query }) => d.read.positions(query) }),
    route({ method: 'get', path: '/pnl', summary: 'equity and PnL per account', tag: 'portfolio', access: 'read', response: z.array(S.EquityView),
      handler: () => d.read.equity() }),
    route({ method: 'get', path: '/equity/:account', summary: "an account's equity curve", tag: 'portfolio', access: 'read', params: S.AccountParam,
      query: S.EquityQuery, response: S.pages.equity, handler: ({ params, query }) => d.read.equityCurve(params.account, query) }),

    route({ method: 'get', path: '/strategies', summary: 'strategy instances', tag: 'strategies', access: 'read', response: z.array(S.StrategyView),
      handler: () => d.read.strategies() }),
    route({ method: 'get', path: '/strategies/:strategyId', summary: 'one strategy instance', tag: 'strategies', access: 'read', params: S.StrategyIdParam,
      response: S.StrategyView, errors: [404],
      handler: async ({ params }) => (await d.read.strategy(params.strategyId)) ?? Promise.reject(new NotFound('strategy', params.strategyId)) }),
    route({ method: 'post', path: '/strategies', summary: 'create and start a strategy instance', tag: 'strategies', access: 'write', body: S.CreateStrategyBody,
      response: S.StrategyCommandResult, status: 201, errors: [409],
      handler: ({ body, by, correlationId }) => d.commands.createStrategy(body, { by, correlationId }) }),
    route({ method: 'put', path: '/strategies/:strategyId/params', summary: "change a strategy's parameters", tag: 'strategies', access: 'write',
      params: S.StrategyIdParam, body: S.ChangeParamsBody, response: S.StrategyCommandResult, errors: [404, 409],
      handler: ({ params, body, by, correlationId }) => d.commands.changeParams(params.strategyId, body.params, body.expectedRevision, { by, correlationId }) }),
    route({ method: 'post', path: '/strategies/:strategyId/start', summary: 'start a stopped strategy', tag: 'strategies', access: 'write',
      params: S.StrategyIdParam, body: S.Empty, response: S.StrategyCommandResult, errors: [404, 409],
      handler: ({ params, by, correlationId }) => d.commands.startStrategy(params.strategyId, { by, correlationId }) }),
    route({ method: 'post', path: '/strategies/:strategyId/stop', summary: 'stop a running strategy', tag: 'strategies', access: 'write',
      params: S.StrategyIdParam, body: S.StopBody, response: S.StrategyCommandResult, errors: [404, 409],
      handler: ({ params, body, by, correlationId }) => d.commands.stopStrategy(params.strategyId, body.reason, { by, correlationId }) }),

    route({ method: 'post', path: '/backtests', summary: 'submit a backtest; answers with a job id', tag: 'backtests', access: 'write', body: S.BacktestBody,
      response: z.object({ jobId: z.string() }), status: 202,
      handler: ({ body, by, correlationId }) => d.commands.submitBacktest(body, { by, correlationId }) }),
    route({ method: 'get', path: '/backtests/:jobId', summary: "a backtest job's status", tag: 'backtests', access: 'read', params: S.JobIdParam,
      response: S.BacktestJobView, errors: [404],
      handler: async ({ params }) => {
        const job = await d.backtests.get(params.jobId);
        if (!job) throw new NotFound('backtest job', params.jobId);
        const { result: _result, ...view } = job;
        return view;
      } }),
    route({ method: 'get', path: '/backtests/:jobId/results', summary: "a finished backtest's metrics, trades and equity curve", tag: 'backtests', access: 'read',
      params: S.JobIdParam, response: S.BacktestResultView, errors: [404, 409],
      handler: async ({ params }) => {
        const job = await d.backtests.get(params.jobId);
        if (!job) throw new NotFound('backtest job', params.jobId);
        if (job.status !== 'succeeded' || job.result === null) throw new Conflict(`backtest job '${params.jobId}' is ${job.status}${job.error ? `: ${job.error}` : ''}`);
        return { jobId: job.jobId, result: job.result };
      } }),

    route({ method: 'get', path: '/models', summary: 'model families: versions newest first with metrics, and the champion', tag: 'models', access: 'read',
      response: z.array(S.ModelFamilyView), handler: () => d.read.models() }),
    route({ method: 'get', path: '/models/train/:jobId', summary: "a model training job's status and progress", tag: 'models', access: 'read', params: S.JobIdParam,
      response: S.TrainJobView, errors: [404],
      handler: async ({ params }) => (await d.training?.get(params.jobId)) ?? Promise.reject(new NotFound('training job', params.jobId)) }),
    route({ method: 'get', path: '/models/:family', summary: 'one model family', tag: 'models', access: 'read', params: S.ModelFamilyParam,
      response: S.ModelFamilyView, errors: [404],
      handler: async ({ params }) => (await d.read.model(params.family)) ?? Promise.reject(new NotFound('model family', params.family)) }),
    route({ method: 'post', path: '/models/train', summary: 'train a model version; answers with a job id (503 when this process does not train)', tag: 'models', access: 'write',
      body: S.TrainBody, response: z.object({ jobId: z.string() }), status: 202, errors: [503],
      handler: ({ body, by }) => (d.training ? d.training.submit(body, by) : Promise.reject(new TrainingUnavailable())) }),
    route({ method: 'post', path: '/models/:version/promote', summary: "make a version its family's champion (workers swap to it)", tag: 'models', access: 'write',
      params: S.ModelVersionParam, body: S.ModelCommandBody, response: S.ModelCommandResult, errors: [404, 409],
      handler: ({ params, body, by, correlationId }) => d.commands.promoteModel(params.version, body.reason, { by, correlationId }) }),
    route({ method: 'post', path: '/models/:version/retire', summary: 'retire a version (a retired champion leaves its family without one)', tag: 'models', access: 'write',
      params: S.ModelVersionParam, body: S.ModelCommandBody, response: S.ModelCommandResult, errors: [404, 409],
      handler: ({ params, body, by, correlationId }) => d.commands.retireModel(params.version, body.reason, { by, correlationId }) }),
    route({ method: 'get', path: '/experiments', summary: 'A/B experiments over model versions, newest first', tag: 'models', access: 'read',
      query: S.ExperimentsQuery, response: z.array(S.ExperimentView), handler: ({ query }) => d.read.experiments(query) }),

    route({ method: 'get', path: '/risk', summary: 'risk state per account', tag: 'risk', access: 'read', response: z.array(S.RiskStateView),
      handler: () => d.read.riskStates() }),
    route({ method: 'post', path: '/risk/halt', summary: 'kill switch: halt trading on an account', tag: 'risk', access: 'write', body: S.HaltBody,
      response: S.RiskCommandResult, errors: [409],
      handler: ({ body, correlationId }) => d.commands.halt(body.account, body.by, body.note, { by: body.by, correlationId }) }),
    route({ method: 'post', path: '/risk/resume', summary: 'resume trading on a halted account', tag: 'risk', access: 'write', body: S.HaltBody,
      response: S.RiskCommandResult, errors: [409],
      handler: ({ body, correlationId }) => d.commands.resume(body.account, body.by, body.note, { by: body.by, correlationId }) }),

    route({ method: 'get', path: '/events', summary: 'audit: stored events by stream, type, instrument or correlation id', tag: 'audit', access: 'read',
      query: S.EventsQuery, response: S.pages.events, handler: ({ query }) => (d.read.events && query.stream === undefined ? d.read.events(query) : auditEvents(d.store, query)) }),
    route({ method: 'get', path: '/dead-letters', summary: 'messages that failed their schema, newest first', tag: 'audit', access: 'read',
      query: S.PageQuery, response: S.pages.deadLetters, handler: ({ query }) => d.read.deadLetters(query) }),
  ];
}
