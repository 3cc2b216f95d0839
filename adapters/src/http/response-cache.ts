// Read answers kept serialised (and compressed on first demand) until the read models they come from change; ETag and 304 included.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

/** One route's answer to one URL, as of a read-model version. */
export interface CachedAnswer {
  readonly route: string;
  readonly version: number;
  readonly status: number;
  readonly etag: string;
  readonly body: Buffer;
  gzip: Buffer | null;
  br: Buffer | null;
}

/** Below this, compression costs more than it saves on the wire. */
const COMPRESS_ABOVE = 1024;

/**
 * Answers of read routes by URL. `versionOf(route)` moves whenever a read model behind the route
 * commits (the projector tells); an answer filed under an older version is never served again. The
 * version is read before the query that fills it, so an answer computed while a commit lands is
 * filed under the older version and dropped at the next look-up.
 */
export class ResponseCache {
  private readonly answers = new Map<string, CachedAnswer>();
  private readonly encodingOf = new Map<string, string>();
  private bytes = 0;

  /** At most `max` answers and `maxBytes` of bodies (compressed copies included); the oldest go first. */
  constructor(readonly versionOf: (route: string) => number, private readonly max = 2000, private readonly maxBytes = 64 * 1024 * 1024) {}

  private drop(url: string): void {
    const a = this.answers.get(url);
    if (a === undefined) return;
    this.bytes -= a.body.length + (a.gzip?.length ?? 0) + (a.br?.length ?? 0);
    this.answers.delete(url);
  }

  /** The answer for this URL when it is still current. */
  fresh(url: string): CachedAnswer | null {
    const a = this.answers.get(url);
    if (a === undefined) return null;
    if (a.version !== this.versionOf(a.route)) { this.drop(url); return null; }
    return a;
  }

  /** Files a validated answer's JSON text; `version` is the one read before the query ran. */
  fill(url: string, route: string, version: number, status: number, json: string): CachedAnswer {
    const body = Buffer.from(json);
    const etag = `W/"${createHash('sha1').update(body).digest('base64url')}"`;
    const answer: CachedAnswer = { route, version, status, etag, body, gzip: null, br: null };
    this.drop(url);
    while (this.answers.size > 0 && (this.answers.size >= this.max || this.bytes + body.length > this.maxBytes)) this.drop(this.answers.keys().next().value!);
    this.answers.set(url, answer);
    this.bytes += body.length;
    return answer;
  }

  /** Writes the answer: 304 when the client holds it, else the body in the best encoding it accepts. */
  write(req: IncomingMessage, res: ServerResponse, a: CachedAnswer): void {
    const inm = req.headers['if-none-match'];
    const headers: Record<string, string | number> = { 'cache-control': 'no-cache', etag: a.etag, vary: 'Accept-Encoding' };
    if (inm !== undefined && (inm === a.etag || inm === '*' || inm.split(',').some((t) => t.trim() === a.etag))) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    let body = a.body;
    const accept = req.headers['accept-encoding'];
    if (accept !== undefined && body.length > COMPRESS_ABOVE) {
      const encoding = this.negotiate(accept);
      if (encoding === 'br') {
        if (a.br === null) { a.br = brotliCompressSync(a.body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: a.body.length } }); this.bytes += a.br.length; }
        body = a.br;
        headers['content-encoding'] = 'br';
      } else if (encoding === 'gzip') {
        if (a.gzip === null) { a.gzip = gzipSync(a.body, { level: 6 }); this.bytes += a.gzip.length; }
        body = a.gzip;
        headers['content-encoding'] = 'gzip';
      }
    }
    headers['content-type'] = 'application/json; charset=utf-8';
    headers['content-length'] = body.length;
    res.writeHead(a.status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** Clients send a handful of distinct Accept-Encoding values: each is parsed once. */
  private negotiate(header: string): string {
    let e = this.encodingOf.get(header);
    if (e === undefined) {
      e = preferredEncoding(header);
      if (this.encodingOf.size < 256) this.encodingOf.set(header, e);
    }
    return e;
  }
}

/** br over gzip over none, among the codings the header accepts (q > 0; `*` stands for any). */
export function preferredEncoding(header: string): 'br' | 'gzip' | 'identity' {
  const q = new Map<string, number>();
  for (const part of header.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (!name) continue;
    const weight = params.map((x) => x.trim()).find((x) => x.startsWith('q='));
    q.set(name.trim(), weight === undefined ? 1 : Number(weight.slice(2)) || 0);
  }
  const accepts = (coding: string): boolean => (q.get(coding) ?? q.get('*') ?? 0) > 0;
  return accepts('br') ? 'br' : accepts('gzip') ? 'gzip' : 'identity';
}
