// The REST server: express 5 under /api/v1 with validation, typed errors, bearer auth, CORS, rate limits and metrics.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventStore } from '@qts/core';
import { bearerOf, type ApiToken } from './auth.ts';
import { Forbidden, toHttpError, Unauthorized } from './errors.ts';
import type { BacktestJobs, Commands, ReadModels } from './ports.ts';
import { apiRoutes } from './routes.ts';
import { openApiDocument, parseInput, type Route } from './route.ts';

export const API_BASE = '/api/v1';

export interface ApiOptions {
  readonly read: ReadModels;
  readonly commands: Commands;
  readonly backtests: BacktestJobs;
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
   * A counter that moves whenever the read models change (the projector's commits). When given, GET
   * responses of read-model routes are cached until it moves: between commits the answer cannot differ.
   */
  readonly readVersion?: () => number;
  /** Extra routes mounted under /api/v1 by the composition root. */
  readonly extraRoutes?: readonly Route[];
}

const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const correlationPattern = /^[A-Za-z0-9._:-]{1,128}$/;

function sendError(res: Response, e: unknown, log: ApiOptions['log'], req?: Request): void {
  const { status, body, internal } = toHttpError(e);
  if (internal) log?.('error', `${req?.method ?? ''} ${req?.originalUrl ?? ''} failed`, e);
  if (!res.headersSent) res.status(status).json(body);
}

/** Builds the express app; the caller owns listening (see startApiServer). */
export function createApiApp(options: ApiOptions): { app: express.Express; registry: Registry; routes: readonly Route[] } {
  const log = options.log;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'qts_http_request_duration_seconds', help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1], registers: [registry],
  });
  const rejected = new Counter({ name: 'qts_http_rejected_total', help: 'requests refused before their handler', labelNames: ['kind'] as const, registers: [registry] });

  const routes = [
    ...apiRoutes({
      read: options.read, commands: options.commands, backtests: options.backtests, store: options.store, startedAt: Date.now(),
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

  if (options.rateLimit !== false) {
    const limits = options.rateLimit ?? { readsPerMinute: 3000, writesPerMinute: 120 };
    const limiter = (limit: number) => rateLimit({
      windowMs: 60_000, limit, standardHeaders: 'draft-8', legacyHeaders: false,
      handler: (_req, res) => { rejected.inc({ kind: 'RateLimited' }); res.status(429).json({ error: { kind: 'RateLimited', message: `more than ${limit} requests per minute` } }); },
    });
    const reads = limiter(limits.readsPerMinute);
    const writes = limiter(limits.writesPerMinute);
    app.use(API_BASE, (req, res, next) => (req.method === 'GET' ? reads : writes)(req, res, next));
  }

  app.use(API_BASE, express.json({ limit: options.bodyLimit ?? '64kb', strict: true, type: ['application/json', 'application/*+json'] }));

  app.get(`${API_BASE}/openapi.json`, (_req, res) => { res.json(doc); });

  // Routes whose answers depend only on the read models (not the clock, the event store or the job runner).
  const cacheable = new Set(['/instruments', '/bars', '/signals', '/orders', '/orders/:clientOrderId', '/positions', '/pnl', '/equity/:account', '/strategies', '/strategies/:strategyId', '/risk']);
  const cache = new Map<string, { version: number; status: number; body: string }>();
  const MAX_CACHED = 2000;

  const router = express.Router();
  for (const r of routes) {
    const useCache = options.readVersion !== undefined && r.method === 'get' && cacheable.has(r.path);
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
        const version = useCache ? options.readVersion!() : 0;
        const key = useCache ? req.originalUrl : '';
        if (useCache) {
          const hit = cache.get(key);
          if (hit && hit.version === version) { res.status(hit.status).type('application/json').send(hit.body); return; }
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
          const body = JSON.stringify(checked.data);
          if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
          cache.set(key, { version, status: r.status ?? 200, body });
          res.status(r.status ?? 200).type('application/json').send(body);
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
  return { app, registry, routes };
}

export interface ApiServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Listens on host:port (port 0 picks a free one); 127.0.0.1 by default. */
export async function startApiServer(options: ApiOptions & { host?: string; port?: number }): Promise<ApiServer> {
  const { app } = createApiApp(options);
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port ?? 0, host, (err?: Error) => (err ? reject(err) : resolve(s)));
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
