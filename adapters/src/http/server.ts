// The REST server: express 5 under /api/v1 with validation, typed errors, bearer auth, CORS, rate limits and metrics.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit } from 'express-rate-limit';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventStore } from '@qts/core';
import { bearerOf, type ApiToken } from './auth.ts';
import { Forbidden, toHttpError, Unauthorized } from './errors.ts';
import type { BacktestJobs, Commands, ModelTrainingJobs, ReadModels } from './ports.ts';
import { apiRoutes } from './routes.ts';
import { ResponseCache } from './response-cache.ts';
import { openApiDocument, parseInput, type Route } from './route.ts';

export const API_BASE = '/api/v1';

export interface ApiOptions {
  readonly read: ReadModels;
  readonly commands: Commands;
  readonly backtests: BacktestJobs;
  /** Model training runs behind POST /models/train; without them that route answers 503. */
  readonly training?: ModelTrainingJobs | undefined;
  readonly store: EventStore;
  readonly token: ApiToken;
  /** 'loopback' (default): reads need no token from 127.0.0.1/::1 only; 'token': every route needs it; 'open': reads never do. */
  readonly readAccess?: 'loopback' | 'token' | 'open';
  /** Origins allowed by CORS (the UI's); none by default. */
  readonly corsOrigins?: readonly string[];
  /** Requests per minute per client IP; false turns limiting off (benchmarks). */
  readonly rateLimit?: { readonly readsPerMinute: number; readonly writesPerMinute: number } | false;
  readonly bodyLimit?: string;
  readonly log?: (level: 'info' | 'warn' | 'error', msg: string, detail?: unknown) => void;
  /**
   * A counter per route (its express path, e.g. '/positions') that moves whenever a read model behind
   * it commits (the projector tells). When given, GET answers of read-model routes are kept serialised
   * until it moves, and served before any middleware (see startApiServer): between commits they cannot differ.
   */
  readonly readVersion?: (route: string) => number;
  /** Extra routes mounted under /api/v1 by the composition root. */
  readonly extraRoutes?: readonly Route[];
  /**
   * The process's metrics registry: the HTTP metrics join it and GET /metrics serves all of it. Without
   * one, a private registry holds the HTTP and process metrics.
   */
  readonly registry?: Registry;
}

const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const correlationPattern = /^[A-Za-z0-9._:-]{1,128}$/;

function sendError(res: Response, e: unknown, log: ApiOptions['log'], req?: Request): void {
  const { status, body, internal } = toHttpError(e);
  if (internal) log?.('error', `${req?.method ?? ''} ${req?.originalUrl ?? ''} failed`, e);
  if (!res.headersSent) res.status(status).json(body);
}

/**
 * Builds the express app; the caller owns listening (see startApiServer). `cachedRead` answers a GET
 * from the response cache when it can (true), before express: the same access and rate-limit policy,
 * none of the per-request middleware.
 */
export function createApiApp(options: ApiOptions): { app: express.Express; registry: Registry; routes: readonly Route[]; cachedRead: (req: IncomingMessage, res: ServerResponse) => boolean } {
  const log = options.log;
  const registry = options.registry ?? new Registry();
  if (!options.registry) collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'qts_http_request_duration_seconds', help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1], registers: [registry],
  });
  const rejected = new Counter({ name: 'qts_http_rejected_total', help: 'requests refused before their handler', labelNames: ['kind'] as const, registers: [registry] });

  const routes = [
    ...apiRoutes({
      read: options.read, commands: options.commands, backtests: options.backtests, training: options.training, store: options.store, startedAt: Date.now(),
      metricsText: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    }),
    ...(options.extraRoutes ?? []),
  ];
  const doc = openApiDocument(routes, { title: 'qts API', version: '1', basePath: API_BASE });
  const readAccess = options.readAccess ?? 'loopback';
  const cors = new Set(options.corsOrigins ?? []);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const origin = req.headers.origin;
    if (origin && cors.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Correlation-Id');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS');
      res.setHeader('Access-Control-Max-Age', '600');
    }
    if (req.method === 'OPTIONS') { res.status(origin && cors.has(origin) ? 204 : 403).end(); return; }
    next();
  });

  // The read limiter's counts, shared with cachedRead so that cached answers count against the same limit.
  const readCounts = options.rateLimit === false ? null : new MemoryStore();
  const readsPerMinute = options.rateLimit ? options.rateLimit.readsPerMinute : 3000;
  if (options.rateLimit !== false) {
    const limits = options.rateLimit ?? { readsPerMinute, writesPerMinute: 120 };
    const limiter = (limit: number, store?: MemoryStore) => rateLimit({
      windowMs: 60_000, limit, standardHeaders: 'draft-8', legacyHeaders: false, ...(store ? { store } : {}),
      handler: (_req, res) => { rejected.inc({ kind: 'RateLimited' }); res.status(429).json({ error: { kind: 'RateLimited', message: `more than ${limit} requests per minute` } }); },
    });
    const reads = limiter(limits.readsPerMinute, readCounts!);
    const writes = limiter(limits.writesPerMinute);
    app.use(API_BASE, (req, res, next) => (req.method === 'GET' ? reads : writes)(req, res, next));
  }

  app.use(API_BASE, express.json({ limit: options.bodyLimit ?? '64kb', strict: true, type: ['application/json', 'application/*+json'] }));

  app.get(`${API_BASE}/openapi.json`, (_req, res) => { res.json(doc); });

  // Routes whose answers depend only on the read models (not the clock, the event store or the job runner).
  const cacheable = new Set(['/instruments', '/bars', '/signals', '/orders', '/orders/:clientOrderId', '/positions', '/pnl', '/equity/:account', '/strategies', '/strategies/:strategyId', '/risk', '/dead-letters', '/models', '/models/:family', '/experiments']);
  const cache = options.readVersion ? new ResponseCache(options.readVersion) : null;

  const router = express.Router();
  for (const r of routes) {
    const useCache = cache !== null && r.method === 'get' && cacheable.has(r.path);
    const label = `${r.method.toUpperCase()} ${r.path}`;
    router[r.method](r.path, async (req: Request, res: Response) => {
      const started = process.hrtime.bigint();
      res.on('finish', () => duration.observe({ method: r.method, route: r.path, status: String(res.statusCode) }, Number(process.hrtime.bigint() - started) / 1e9));
      try {
        const needsToken = r.access === 'write' || readAccess === 'token' || (readAccess === 'loopback' && !loopback.has(req.socket.remoteAddress ?? ''));
        if (needsToken) {
          const presented = bearerOf(req.headers.authorization);
          if (presented === null) { rejected.inc({ kind: 'Unauthorized' }); throw new Unauthorized(`${label} needs Authorization: Bearer <token>`); }
          if (!options.token.verify(presented)) { rejected.inc({ kind: 'Forbidden' }); throw new Forbidden('the token is not valid'); }
        }
        if (r.raw) { await r.raw(req, res); return; }
        // Taken before reading: an answer computed while a commit lands is filed under the older version.
        const version = useCache ? cache.versionOf(r.path) : 0;
        if (useCache) {
          const hit = cache.fresh(req.originalUrl);
          if (hit) { cache.write(req, res, hit); return; }
        }
        const input = parseInput(r, req);
        const header = req.headers['x-correlation-id'];
        const correlationId = typeof header === 'string' && correlationPattern.test(header) ? header : randomUUID();
        const out = await r.handler({ ...(input as { params: never; query: never; body: never }), correlationId, by: 'api' });
        // Responses are checked too: a read model that drifted from the contract is our bug, reported as such.
        const checked = r.response.safeParse(out);
        if (!checked.success) {
          log?.('error', `${label}: response does not match its schema`, checked.error.issues.slice(0, 5));
          res.status(500).json({ error: { kind: 'InvalidResponse', message: 'the server produced a response outside its contract' } });
          return;
        }
        if (useCache) {
          cache.write(req, res, cache.fill(req.originalUrl, r.path, version, r.status ?? 200, JSON.stringify(checked.data)));
          return;
        }
        res.status(r.status ?? 200).json(checked.data);
      } catch (e) {
        sendError(res, e, log, req);
      }
    });
  }
  app.use(API_BASE, router);

  app.use(API_BASE, (_req, res) => { res.status(404).json({ error: { kind: 'NotFound', message: 'no such route' } }); });
  // Body-parser failures (bad JSON, too large, wrong charset) and anything else thrown before a handler.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => { sendError(res, err, log, req); });

  const observed = new Map<string, { observe(seconds: number): void }>();
  const answer = (req: IncomingMessage, res: ServerResponse, url: string, started: bigint): void => {
    // Looked up again: the answer may have been replaced while the rate limit was counted.
    const a = cache!.fresh(url);
    if (a === null) { app(req, res); return; }
    cache!.write(req, res, a);
    const k = `${a.route} ${res.statusCode}`;
    let h = observed.get(k);
    if (h === undefined) { h = duration.labels('get', a.route, String(res.statusCode)); observed.set(k, h); }
    h.observe(Number(process.hrtime.bigint() - started) / 1e9);
  };
  const cachedRead = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url;
    // Cross-origin requests take the full path, which sets the CORS headers.
    if (cache === null || req.method !== 'GET' || url === undefined || req.headers.origin !== undefined || cache.fresh(url) === null) return false;
    const started = process.hrtime.bigint();
    const needsToken = readAccess === 'token' || (readAccess === 'loopback' && !loopback.has(req.socket.remoteAddress ?? ''));
    if (needsToken) {
      const presented = bearerOf(req.headers.authorization);
      // A missing or wrong token is answered (and counted) by the full path.
      if (presented === null || !options.token.verify(presented)) return false;
    }
    if (readCounts === null) { answer(req, res, url, started); return true; }
    void Promise.resolve(readCounts.increment(ipKeyGenerator(req.socket.remoteAddress ?? ''))).then(
      // Over the limit: the full path counts it too and answers 429.
      (c) => (c.totalHits > readsPerMinute ? app(req, res) : answer(req, res, url, started)),
      (e: unknown) => { log?.('error', 'rate-limit store failed', e); app(req, res); },
    );
    return true;
  };
  return { app, registry, routes, cachedRead };
}

export interface ApiServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Listens on host:port (port 0 picks a free one); 127.0.0.1 by default. */
export async function startApiServer(options: ApiOptions & { host?: string; port?: number }): Promise<ApiServer> {
  const { app, cachedRead } = createApiApp(options);
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => { if (!cachedRead(req, res)) app(req, res); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => { server.off('error', reject); resolve(); });
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    server,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
