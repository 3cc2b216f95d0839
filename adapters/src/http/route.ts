// A route is data: method, path, zod schemas for params/query/body/response, and a handler; express and OpenAPI both read it.
import type { Request, Response, Router } from 'express';
import { ValidationError } from '@qts/core';
import { z } from 'zod';
import { issuesOf } from './errors.ts';
import { ErrorBody } from './schemas.ts';

export type Access = 'read' | 'write';

export interface RouteInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly correlationId: string;
  readonly by: string;
}

export interface Route<P = unknown, Q = unknown, B = unknown, R = unknown> {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  /** Express syntax: /orders/:clientOrderId */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: Access;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  readonly response: z.ZodType<R>;
  readonly status?: number;
  /** Error statuses this route can answer besides 400/401/429. */
  readonly errors?: readonly number[];
  /** A non-JSON answer (metrics text); the handler writes it itself. */
  readonly raw?: (req: Request, res: Response) => Promise<void>;
  readonly handler: (input: RouteInput<P, Q, B>) => Promise<R>;
}

export function route<P = Record<string, never>, Q = Record<string, never>, B = undefined, R = unknown>(r: Route<P, Q, B, R>): Route {
  return r as unknown as Route;
}

const MAX_DEPTH = 32;
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Finds text Postgres cannot store (NUL, lone UTF-16 surrogates) and absurd nesting, anywhere in a
 * request value, keys included: such input is a 400 here rather than a 500 from the database later.
 */
export function unstorableText(where: string, value: unknown): { path: string; message: string } | null {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: where, depth: 0 }];
  const bad = (s: string): boolean => s.includes('\u0000') || loneSurrogate.test(s);
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (bad(v)) return { path, message: 'text with NUL or an unpaired surrogate is not accepted' };
    } else if (v !== null && typeof v === 'object') {
      if (depth >= MAX_DEPTH) return { path, message: `nested deeper than ${MAX_DEPTH} levels` };
      for (const [k, x] of Object.entries(v)) {
        if (bad(k)) return { path, message: 'a key with NUL or an unpaired surrogate is not accepted' };
        stack.push({ v: x, path: `${path}.${k}`, depth: depth + 1 });
      }
    }
  }
  return null;
}

/** Parses params, query and body together, so one 400 names every invalid field. */
export function parseInput(r: Route, req: Request): { params: unknown; query: unknown; body: unknown } {
  const issues: { path: string; message: string }[] = [];
  const one = (where: string, schema: z.ZodType | undefined, value: unknown): unknown => {
    if (!schema) return undefined;
    const unstorable = unstorableText(where, value);
    if (unstorable) { issues.push(unstorable); return undefined; }
    const out = schema.safeParse(value);
    if (out.success) return out.data;
    issues.push(...issuesOf(where, out.error));
    return undefined;
  };
  const params = one('params', r.params, req.params ?? {});
  const query = one('query', r.query, req.query ?? {});
  const body = one('body', r.body, req.body ?? {});
  if (issues.length > 0) throw new ValidationError(`invalid request: ${issues.map((i) => i.path).join(', ')}`, issues);
  return { params, query, body };
}

const toOpenApiPath = (p: string): string => p.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

type Json = Record<string, unknown>;

/** Converts a zod schema and moves its named sub-schemas ($defs) into the document's components. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components: Json): Json {
  const js = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  const defs = (js.$defs ?? {}) as Record<string, Json>;
  delete js.$defs;
  delete js.$schema;
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v && typeof v === 'object') {
      const o: Json = {};
      for (const [k, x] of Object.entries(v)) o[k] = k === '$ref' && typeof x === 'string' ? x.replace('#/$defs/', '#/components/schemas/') : rewrite(x);
      return o;
    }
    return v;
  };
  for (const [id, def] of Object.entries(defs)) components[id] ??= rewrite(def);
  const id = (schema.meta() as { id?: string } | undefined)?.id;
  if (id) {
    components[id] ??= rewrite(js);
    return { $ref: `#/components/schemas/${id}` };
  }
  return rewrite(js) as Json;
}

function parametersOf(where: 'path' | 'query', schema: z.ZodType | undefined, components: Json): Json[] {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input', components);
  const props = (js.properties ?? {}) as Record<string, Json>;
  const required = new Set((js.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => ({ name, in: where, required: where === 'path' || required.has(name), schema: s }));
}

/** The OpenAPI 3.1 document for a set of routes mounted under `basePath`. */
export function openApiDocument(routes: readonly Route[], info: { title: string; version: string; basePath: string }): Json {
  const components: Json = {};
  const paths: Record<string, Json> = {};
  const errorRef = jsonSchema(ErrorBody, 'output', components);
  for (const r of routes) {
    const p = `${info.basePath}${toOpenApiPath(r.path)}`;
    const responses: Json = {
      [String(r.status ?? 200)]: r.raw
        ? { description: 'text', content: { 'text/plain': { schema: { type: 'string' } } } }
        : { description: 'OK', content: { 'application/json': { schema: jsonSchema(r.response, 'output', components) } } },
    };
    const errorStatuses = new Set([400, 429, 500, ...(r.access === 'write' ? [401, 403] : [401]), ...(r.errors ?? [])]);
    for (const s of [...errorStatuses].sort()) responses[String(s)] = { description: 'error', content: { 'application/json': { schema: errorRef } } };
    const op: Json = {
      operationId: `${r.method}${r.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: r.summary,
      tags: [r.tag],
      parameters: [...parametersOf('path', r.params, components), ...parametersOf('query', r.query, components)],
      responses,
      ...(r.access === 'write' ? { security: [{ bearer: [] }] } : {}),
    };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input', components) } } };
    paths[p] = { ...(paths[p] ?? {}), [r.method]: op };
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version },
    servers: [{ url: '/' }],
    paths,
    components: { schemas: components, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
}

export type { Router };
