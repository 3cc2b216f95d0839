// The strategy contract: a pure bar-by-bar opinion machine that emits signal intents, never orders.
import { z } from 'zod';
import type { BarClosed, SignalEmitted } from '@qts/schemas';
import { ValidationError } from '../errors.ts';

/**
 * The position a strategy wants. Strategies state direction only; sizing and permission to short
 * are the executor's business: with `allowShort: false` (the default) the executor treats 'short'
 * as "be flat", so a crossover that says 'short' on the cross down exits a long-only book.
 */
export type Direction = 'long' | 'short' | 'flat';

export interface SignalIntent {
  readonly direction: Direction;
  /** Conviction in [0, 1]. Built-in rule-based strategies say 1; models say their probability. */
  readonly strength: number;
  readonly reason: string;
  readonly model?: { version: string; probability: number; confidence: number };
}

/** A strategy's current view, read by hybrid combinators. */
export interface Opinion {
  readonly direction: Direction;
  readonly strength: number;
}

/**
 * What one bar did: the (possibly same, mutated) state and the intents emitted on that bar.
 * Built-ins reuse one step tuple per state, so a step is only valid until the next onBar call
 * on that state: read it, do not keep it.
 */
export type StrategyStep<S> = readonly [S, readonly SignalIntent[]];

export interface Strategy<P = unknown, S = unknown> {
  /** 'sma-cross' | 'macd-cross' | 'rsi-reversion' | 'bollinger-breakout' | 'unanimous' | ... */
  readonly kind: string;
  readonly description: string;
  /** A z.object whose numeric fields carry .default() and .min()/.max() (UI form and optimiser read them via paramSpace). */
  readonly params: z.ZodType<P>;
  init(params: P): S;
  /**
   * Pure in effect: the same bars from init give the same intents. May update S in place for speed.
   * Returns the shared frozen NO_SIGNALS array when nothing is emitted; allocates only on a signal.
   * Must not keep a reference to `bar` (callers may reuse one bar object).
   */
  onBar(state: S, bar: BarClosed): StrategyStep<S>;
  /** Current view; null until warmed up. */
  opinion(state: S): Opinion | null;
  /**
   * How many bars a live worker must replay before trading so its state matches a run started at the
   * beginning of the data: exact for window indicators (SMA, bands), within 1e-9 of the values for
   * exponential ones (EMA, Wilder), whose seed never fully decays. Optional; see warmupBarsOf.
   */
  warmupBars?(params: P): number;
}

/** Bars to replay before trading live; `fallback` for a strategy that does not say. */
export function warmupBarsOf<P>(strategy: Strategy<P>, params: P, fallback = 1000): number {
  return strategy.warmupBars?.(params) ?? fallback;
}

/**
 * Bars after which the seed of an exponential average with smoothing `alpha` weighs less than
 * 1e-9: (1 - alpha)^n < 1e-9.
 */
export function decayBars(alpha: number): number {
  return Math.ceil(Math.log(1e-9) / Math.log(1 - alpha));
}

/** Any strategy, whatever its params and state (registries, combinators, runners). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry holds strategies of unrelated P and S
export type AnyStrategy = Strategy<any, any>;

/** The one empty intent list every strategy returns on a quiet bar (no allocation per bar). */
export const NO_SIGNALS: readonly SignalIntent[] = Object.freeze([]);

/** The reusable mutable step a built-in keeps in its state (see StrategyStep). */
export type MutableStep<S> = [S, readonly SignalIntent[]];

/** Builds a strategy state that carries its own reusable step tuple, so onBar allocates nothing. */
export function stateWithStep<S extends { readonly step: MutableStep<S> }>(fields: Omit<S, 'step'>): S {
  const step: [unknown, readonly SignalIntent[]] = [undefined, NO_SIGNALS];
  const state = { ...fields, step } as unknown as S;
  step[0] = state;
  return state;
}

/** Frozen opinions, shared so opinion() allocates nothing. */
export const opinions = {
  long: Object.freeze({ direction: 'long', strength: 1 }) as Opinion,
  short: Object.freeze({ direction: 'short', strength: 1 }) as Opinion,
  flat: Object.freeze({ direction: 'flat', strength: 1 }) as Opinion,
} as const;

/** One numeric parameter as a form field or an optimiser axis. `path` is dotted for nested (combinator) params. */
export interface ParamSpec {
  readonly path: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly step: number;
  readonly integer: boolean;
  readonly description?: string;
}

interface JsonSchemaNode {
  type?: string;
  properties?: Record<string, JsonSchemaNode>;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  step?: number;
  description?: string;
}

const spaces = new WeakMap<AnyStrategy, readonly ParamSpec[]>();
const jsonSchemas = new WeakMap<AnyStrategy, JsonSchemaNode>();

function jsonSchemaOf(strategy: AnyStrategy): JsonSchemaNode {
  let root = jsonSchemas.get(strategy);
  if (!root) {
    root = z.toJSONSchema(strategy.params, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
    jsonSchemas.set(strategy, root);
  }
  return root;
}

/**
 * The numeric parameters of a strategy with default, range and step, read from its zod schema's
 * JSON Schema (minimum/maximum/default, plus a `step` given with `.meta({ step })`).
 * Combinator params come out nested by child name, e.g. `sma-cross.fast`.
 * @example paramSpace(smaCross) // [{ path: 'fast', default: 10, min: 2, max: 200, step: 1, integer: true }, ...]
 */
export function paramSpace(strategy: AnyStrategy): readonly ParamSpec[] {
  const cached = spaces.get(strategy);
  if (cached) return cached;
  const out: ParamSpec[] = [];
  collect(jsonSchemaOf(strategy), '', out);
  const frozen = Object.freeze(out.map((s) => Object.freeze(s)));
  spaces.set(strategy, frozen);
  return frozen;
}

function collect(node: JsonSchemaNode, prefix: string, out: ParamSpec[]): void {
  for (const [name, field] of Object.entries(node.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    if (field.type === 'object') {
      collect(field, path, out);
      continue;
    }
    if (field.type !== 'integer' && field.type !== 'number') continue;
    const integer = field.type === 'integer';
    const min = field.minimum ?? field.exclusiveMinimum;
    const max = field.maximum ?? field.exclusiveMaximum;
    if (min === undefined || max === undefined || typeof field.default !== 'number') {
      // A strategy author's mistake, caught the first time anyone lists the params.
      throw new Error(`parameter '${path}' needs .default(), .min() and .max() so forms and optimisers can use it`);
    }
    const step = field.step ?? (integer ? 1 : (max - min) / 20);
    out.push({ path, default: field.default, min, max, step, integer, ...(field.description ? { description: field.description } : {}) });
  }
}

/**
 * Validates user input (API body, CLI flags, optimiser grid point) into a strategy's params, with
 * defaults filled in. `undefined` means "all defaults". Unknown names are refused so a typo is not
 * silently replaced by a default.
 * @throws ValidationError whose issues name each field and its range, e.g. "fast: must be between 2 and 200, got 500".
 */
export function parseStrategyParams<P>(strategy: Strategy<P>, input: unknown): P {
  const result = strategy.params.safeParse(input === undefined ? {} : input);
  if (result.success) return result.data;
  const specs = new Map(paramSpace(strategy).map((s) => [s.path, s]));
  const root = jsonSchemaOf(strategy);
  const issues = result.error.issues.flatMap((issue) => describeIssue(issue, specs, root, input));
  throw new ValidationError(`invalid ${strategy.kind} parameters: ${issues.map((i) => i.message).join('; ')}`, issues);
}

function describeIssue(issue: z.core.$ZodIssue, specs: ReadonlyMap<string, ParamSpec>, root: JsonSchemaNode, input: unknown): { path: string; message: string }[] {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    let node: JsonSchemaNode | undefined = root;
    for (const key of issue.path) node = node?.properties?.[String(key)];
    const known = Object.keys(node?.properties ?? {});
    return issue.keys.map((key) => {
      const at = path ? `${path}.${key}` : key;
      return { path: at, message: `${at}: unknown parameter; known: ${known.join(', ') || 'none'}` };
    });
  }
  const spec = specs.get(path);
  const got = valueAt(input, issue.path);
  if (spec && (issue.code === 'too_big' || issue.code === 'too_small' || issue.code === 'invalid_type')) {
    const what = spec.integer && typeof got === 'number' && Number.isFinite(got) && !Number.isInteger(got) ? 'a whole number ' : '';
    return [{ path, message: `${path}: must be ${what}between ${spec.min} and ${spec.max}, got ${show(got)}` }];
  }
  if (path === '' && issue.code === 'invalid_type') return [{ path: '', message: `params: must be an object, got ${show(got)}` }];
  return [{ path, message: path ? `${path}: ${issue.message}` : issue.message }];
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'an array' : typeof v;
}

/** The default params of a strategy (what a user gets by passing nothing). */
export function defaultParams<P>(strategy: Strategy<P>): P {
  return parseStrategyParams(strategy, undefined);
}

/**
 * Builds and validates params from an optimiser grid point keyed by ParamSpec paths.
 * @example paramsFromPoint(unanimous([smaCross, rsiReversion]), { 'sma-cross.fast': 5, 'rsi-reversion.period': 10 })
 */
export function paramsFromPoint<P>(strategy: Strategy<P>, point: Readonly<Record<string, number>>): P {
  const nested: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(point)) {
    const keys = path.split('.');
    let node = nested;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys[keys.length - 1]!] = value;
  }
  return parseStrategyParams(strategy, nested);
}

const MAX_REASON = 512;

/**
 * The SignalEmitted event data for an intent taken on a closed bar: priced at the close, and as of
 * the bar's closeTime, the earliest moment anyone could have acted on it.
 */
export function signalData(strategyId: string, bar: BarClosed, intent: SignalIntent): SignalEmitted {
  const data: SignalEmitted = {
    strategyId,
    instrument: bar.instrument,
    direction: intent.direction,
    strength: Math.min(1, Math.max(0, intent.strength)),
    price: bar.close,
    asOf: bar.closeTime,
    reason: intent.reason.length > MAX_REASON ? `${intent.reason.slice(0, MAX_REASON - 1)}…` : intent.reason,
  };
  return intent.model ? { ...data, model: intent.model } : data;
}

/**
 * Formats an indicator value to 6 significant digits for a reason text (signals only, never per bar).
 * Integer arithmetic instead of toPrecision: it runs on every signal of every backtest.
 */
export function fmt(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const digits = 5 - Math.floor(Math.log10(Math.abs(x)));
  if (digits > 0 && digits <= 15) {
    const scale = POW10[digits]!;
    return String(Math.round(x * scale) / scale); // integer / 10^k is the double nearest the decimal
  }
  if (digits <= 0 && digits >= -15) {
    const scale = POW10[-digits]!;
    return String(Math.round(x / scale) * scale);
  }
  return String(Number(x.toPrecision(6)));
}

const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k);
