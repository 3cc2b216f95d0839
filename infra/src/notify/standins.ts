// Test support: local servers speaking Telegram's bot API and a signed-webhook receiver's protocol, with scripted failures.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookPayload } from './channels.ts';

export const TOKEN = '123456:TEST-bot-token-never-logged';
export const SECRET = 'webhook-signing-secret';

export interface Received { readonly at: number; readonly body: Record<string, unknown>; readonly headers: IncomingMessage['headers'] }
export type Reply = { status: number; body: unknown } | 'hang';

/** A server answering as Telegram's bot API does: {ok:true,result} or {ok:false,error_code,description,parameters}. */
export async function botApi(script: Reply[] = []) {
  const accepted: Received[] = [];
  const attempts: number[] = [];
  let messageId = 0;
  const server = createServer(async (req, res) => {
    const body = await readJson(req);
    attempts.push(Date.now());
    if (req.method !== 'POST' || req.url !== `/bot${TOKEN}/sendMessage`) return reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    if (!body.chat_id || typeof body.text !== 'string') return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' });
    const next = script.shift();
    if (next === 'hang') return;
    if (next) return reply(res, next.status, next.body);
    accepted.push({ at: Date.now(), body, headers: req.headers });
    reply(res, 200, { ok: true, result: { message_id: ++messageId, date: Math.floor(Date.now() / 1000), chat: { id: Number(body.chat_id), type: 'private' }, text: body.text } });
  });
  return { ...(await listen(server)), accepted, attempts, texts: () => accepted.map((m) => m.body.text as string) };
}

export async function webhookReceiver(script: Reply[] = []) {
  const accepted: Received[] = [];
  const server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const next = script.shift();
    if (next === 'hang') return;
    if (next) return reply(res, next.status, next.body);
    // Verify as a receiver would: HMAC of "<timestamp>.<body>" with the shared secret.
    const expected = `sha256=${createHmac('sha256', SECRET).update(`${req.headers['x-qts-timestamp']}.${raw}`).digest('hex')}`;
    if (req.headers['x-qts-signature'] !== expected) return reply(res, 401, { error: 'bad signature' });
    accepted.push({ at: Date.now(), body: JSON.parse(raw) as Record<string, unknown>, headers: req.headers });
    reply(res, 204, null);
  });
  return { ...(await listen(server)), accepted, payloads: () => accepted.map((m) => m.body as unknown as WebhookPayload) };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => { let s = ''; req.on('data', (c: Buffer) => { s += c.toString(); }); req.on('end', () => resolve(s)); });
}
async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  try { return JSON.parse(await readBody(req)) as Record<string, unknown>; } catch { return {}; }
}
function reply(res: ServerResponse, status: number, body: unknown): void {
  if (body === null) { res.writeHead(status).end(); return; }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
const servers: Server[] = [];
async function listen(server: Server): Promise<{ url: string }> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Closes every stand-in started so far. */
export async function closeStandins(): Promise<void> {
  for (const s of servers.splice(0)) { s.closeAllConnections(); await new Promise((r) => s.close(r)); }
}
