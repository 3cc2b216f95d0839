// Liveness and readiness over HTTP for one worker process: what an orchestrator's health checks poll.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './log.ts';
import type { SystemMetrics } from '../observability/metrics.ts';

export interface HealthServer {
  readonly url: string;
  ready(): void;
  notReady(): void;
  close(): Promise<void>;
}

/**
 * GET /health: 200 while the process runs. GET /ready: 200 once started, 503 before and while stopping.
 * GET /metrics: the process's Prometheus metrics, when given.
 */
export async function startHealthServer(port: number, worker: string, log: Logger, metrics?: SystemMetrics, host = process.env.QTS_HEALTH_HOST ?? '127.0.0.1'): Promise<HealthServer> {
  let isReady = false;
  const server = createServer((req, res) => {
    const body = (status: number, data: object): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(data));
    };
    if (req.url === '/health') body(200, { status: 'ok', worker });
    else if (req.url === '/ready') body(isReady ? 200 : 503, { ready: isReady, worker });
    else if (req.url === '/metrics' && metrics) {
      metrics.scrape().then(
        (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
        (e: unknown) => { log.error({ err: e }, 'metrics scrape failed'); body(500, { error: { kind: 'MetricsFailed', message: (e as Error).message } }); },
      );
    }
    else body(404, { error: { kind: 'NotFound', message: metrics ? 'GET /health, /ready or /metrics' : 'GET /health or /ready' } });
  });
  // Loopback by default; QTS_HEALTH_HOST=0.0.0.0 in a container lets Prometheus on another host scrape /metrics.
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${(server.address() as AddressInfo).port}`;
  log.info({ url }, 'health endpoints up');
  return {
    url,
    ready: () => { isReady = true; },
    notReady: () => { isReady = false; },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
