// Control actions: the token is asked for once and kept; a refused token is forgotten and asked for again; 400s keep their fields.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, send } from './api.ts';
import { ApiToken } from './token.svelte.ts';

const memory = () => { const m = new Map<string, string>(); return { m, getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) }; };
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

afterEach(() => vi.unstubAllGlobals());

/** Answers the token dialog with each of `answers` in turn, as the user would. */
function answering(token: ApiToken, answers: (string | null)[]) {
  const asked: number[] = [];
  const timer = setInterval(() => { if (token.asking) { asked.push(1); token.answer(answers.shift() ?? null); } }, 1);
  return { asked, stop: () => clearInterval(timer) };
}

describe('send', () => {
  it('asks for the token once, keeps it for the session, and sends it as a bearer token', async () => {
    const store = memory();
    const token = new ApiToken(store);
    const seen: string[] = [];
    vi.stubGlobal('fetch', vi.fn(async (_url: string, init: RequestInit) => { seen.push((init.headers as Record<string, string>).authorization!); return json(200, { ok: true }); }));
    const user = answering(token, ['good-token']);
    await send(token, 'POST', '/risk/halt', { account: 'paper' });
    await send(token, 'POST', '/risk/resume', { account: 'paper' });
    user.stop();
    expect(user.asked).toHaveLength(1);
    expect(seen).toEqual(['Bearer good-token', 'Bearer good-token']);
    expect(store.m.get('qts.apiToken')).toBe('good-token');
  });

  it('forgets a refused token and asks again once', async () => {
    const token = new ApiToken(memory());
    token.set('stale');
    vi.stubGlobal('fetch', vi.fn(async (_url: string, init: RequestInit) =>
      ((init.headers as Record<string, string>).authorization === 'Bearer fresh' ? json(200, {}) : json(403, { error: { kind: 'Forbidden', message: 'the token is not valid' } }))));
    const user = answering(token, ['fresh']);
    await expect(send(token, 'POST', '/risk/halt')).resolves.toEqual({});
    user.stop();
    expect(token.value).toBe('fresh');
  });

  it('rejects when the user cancels, and turns a 400 into field errors', async () => {
    const token = new ApiToken(memory());
    const user = answering(token, [null]);
    await expect(send(token, 'POST', '/backtests')).rejects.toThrow(/cancelled/);
    user.stop();
    token.set('t');
    vi.stubGlobal('fetch', vi.fn(async () => json(400, { error: { kind: 'ValidationError', message: 'bad params', issues: [{ path: 'body.params.fast', message: 'must be between 2 and 200, got 500' }] } })));
    const e = await send(token, 'POST', '/backtests').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).fieldErrors).toEqual({ fast: 'must be between 2 and 200, got 500' });
  });
});
