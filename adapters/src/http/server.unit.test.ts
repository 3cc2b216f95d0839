// Server policies that need no read models: rate limiting per client, reads behind the token, the error shape.
import { afterEach, describe, expect, it } from 'vitest';
import type { EventStore } from '@qts/core';
import { tokenFromSecret } from './auth.ts';
import type { BacktestJobs, Commands, ReadModels } from './ports.ts';
import { startApiServer, type ApiServer } from './server.ts';

/** Ports these tests never reach: any call is a failure of the test, not an answer. */
const unreachable = new Proxy({}, { get: (_t, name) => () => { throw new Error(`port method ${String(name)} must not be called here`); } });

let server: ApiServer | null = null;
afterEach(async () => { await server?.close(); server = null; });

async function start(options: Partial<Parameters<typeof startApiServer>[0]>): Promise<ApiServer> {
  server = await startApiServer({
    read: unreachable as ReadModels, commands: unreachable as Commands, backtests: unreachable as BacktestJobs, store: unreachable as EventStore,
    token: tokenFromSecret('t0ken'), ...options,
  });
  return server;
}

describe('API server policies', () => {
  it('answers 429 with the typed error once a client exceeds its reads per minute', async () => {
    const s = await start({ rateLimit: { readsPerMinute: 3, writesPerMinute: 1 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${s.url}/api/v1/health`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await fetch(`${s.url}/api/v1/health`);
    expect(await limited.json()).toEqual({ error: { kind: 'RateLimited', message: 'more than 3 requests per minute' } });
    expect(limited.headers.get('ratelimit-policy')).toContain('3');
  });

  it("with readAccess 'token', reads need the token too", async () => {
    const s = await start({ readAccess: 'token', rateLimit: false });
    const none = await fetch(`${s.url}/api/v1/health`);
    expect(none.status).toBe(401);
    expect((await none.json() as { error: { kind: string } }).error.kind).toBe('Unauthorized');
    expect((await fetch(`${s.url}/api/v1/health`, { headers: { authorization: 'Bearer t0ken' } })).status).toBe(200);
  });

  it('a write with a valid token but an invalid body is a 400 naming the fields, before any port is called', async () => {
    const s = await start({ rateLimit: false });
    const r = await fetch(`${s.url}/api/v1/risk/halt`, { method: 'POST', headers: { authorization: 'Bearer t0ken', 'content-type': 'application/json' }, body: JSON.stringify({ account: '', note: 5 }) });
    expect(r.status).toBe(400);
    const body = await r.json() as { error: { kind: string; issues: { path: string }[] } };
    expect(body.error.kind).toBe('ValidationError');
    expect(body.error.issues.map((i) => i.path).sort()).toEqual(['body.account', 'body.note']);
  });
});
