// Hybrid combinators: strategies built from other strategies (rule-based or ML), so they nest and share one contract.
import { z } from 'zod';
import type { BarClosed } from '@qts/schemas';
import { fmt, NO_SIGNALS, warmupBarsOf } from './strategy.ts';
import type { AnyStrategy, Direction, Opinion, SignalIntent, Strategy, StrategyStep } from './strategy.ts';

/** A child strategy, named by its kind unless given a name (needed when two children share a kind). */
export type Child = AnyStrategy | { readonly name: string; readonly strategy: AnyStrategy };

/** Params of a combinator: each child's params under the child's name. */
export type CombinedParams = Readonly<Record<string, unknown>>;

export interface CombinedState {
  /** Children's states, in the order the children were given. */
  readonly children: unknown[];
  /** The combined view; null until every child has an opinion. */
  view: Direction | null;
  /** The combined opinion, updated in place (valid until the next onBar). */
  readonly opinion: { direction: Direction; strength: number };
  readonly step: [CombinedState, readonly SignalIntent[]];
}

interface Named {
  readonly name: string;
  readonly strategy: AnyStrategy;
}

function nameChildren(kind: string, children: readonly Child[], min: number): readonly Named[] {
  if (children.length < min) throw new Error(`${kind} needs at least ${min} strategies, got ${children.length}`);
  const named = children.map((c) => ('strategy' in c ? { name: c.name, strategy: c.strategy } : { name: c.kind, strategy: c }));
  const seen = new Set<string>();
  for (const { name } of named) {
    if (!/^[a-z0-9][a-z0-9_-]*$/i.test(name)) throw new Error(`${kind}: child name '${name}' must be letters, digits, '-' or '_' (it is a params key)`);
    if (seen.has(name)) throw new Error(`${kind}: two children named '${name}'; pass { name, strategy } to tell them apart`);
    seen.add(name);
  }
  return named;
}

function paramsOf(named: readonly Named[]): z.ZodType<CombinedParams> {
  const shape: Record<string, z.ZodType> = {};
  for (const { name, strategy } of named) shape[name] = strategy.params.prefault({});
  return z.strictObject(shape) as unknown as z.ZodType<CombinedParams>;
}

/** How a voting combinator turns the children's opinions into one; writes into `out`. */
type Vote = (opinions: readonly Opinion[], out: { direction: Direction; strength: number }) => void;

/**
 * The shared body of unanimous/majority/weighted: feed every bar to every child, combine their
 * opinions, and emit when the combined view changes (never at warm-up, never the same view twice).
 */
function voting(kind: string, description: string, named: readonly Named[], vote: Vote): Strategy<CombinedParams, CombinedState> {
  const n = named.length;
  const scratch: Opinion[] = new Array<Opinion>(n);
  return {
    kind,
    description,
    params: paramsOf(named),
    init(params) {
      const step: [unknown, readonly SignalIntent[]] = [undefined, NO_SIGNALS];
      const state: CombinedState = {
        children: named.map(({ name, strategy }) => strategy.init(params[name])),
        view: null,
        opinion: { direction: 'flat', strength: 1 },
        step: step as CombinedState['step'],
      };
      step[0] = state;
      return state;
    },
    onBar(s, bar: BarClosed): StrategyStep<CombinedState> {
      let ready = true;
      for (let i = 0; i < n; i++) {
        const child = named[i]!.strategy;
        const cs = child.onBar(s.children[i], bar)[0];
        s.children[i] = cs;
        const op = child.opinion(cs);
        if (op === null) ready = false;
        else scratch[i] = op;
      }
      s.step[1] = NO_SIGNALS;
      if (!ready) return s.step;
      const previous = s.view;
      vote(scratch, s.opinion);
      s.view = s.opinion.direction;
      if (previous !== null && s.view !== previous) {
        s.step[1] = [{ direction: s.view, strength: s.opinion.strength, reason: `${kind} ${s.view}: ${describeViews(named, scratch)}` }];
      }
      return s.step;
    },
    opinion(s) {
      return s.view === null ? null : s.opinion;
    },
    warmupBars: (params) => slowest(named, params),
  };
}

/** The combinator needs what its slowest child needs (a child that does not say counts warmupBarsOf's fallback). */
function slowest(named: readonly Named[], params: CombinedParams): number {
  let bars = 0;
  for (const { name, strategy } of named) bars = Math.max(bars, warmupBarsOf(strategy, params[name]));
  return bars;
}

function describeViews(named: readonly Named[], ops: readonly Opinion[]): string {
  // Plain concatenation (rope strings, no arrays): hybrids on minute bars signal every few bars.
  let text = '';
  for (let i = 0; i < named.length; i++) {
    const op = ops[i]!;
    text += (i === 0 ? '' : ', ') + named[i]!.name + ' ' + op.direction + (op.strength < 1 ? ' ' + fmt(op.strength) : '');
  }
  return text;
}

function list(named: readonly Named[]): string {
  return named.map((c) => c.name).join(', ');
}

/**
 * Long (short) only while every child says long (short); flat otherwise. Strength: the weakest child's.
 * @example unanimous([smaCross, rsiReversion])
 */
export function unanimous(children: readonly Child[]): Strategy<CombinedParams, CombinedState> {
  const named = nameChildren('unanimous', children, 2);
  return voting('unanimous', `Long or short only while all of ${list(named)} agree; flat otherwise.`, named, (ops, out) => {
    const first = ops[0]!.direction;
    let weakest = ops[0]!.strength;
    for (let i = 1; i < ops.length; i++) {
      if (ops[i]!.direction !== first) {
        out.direction = 'flat';
        out.strength = 1;
        return;
      }
      if (ops[i]!.strength < weakest) weakest = ops[i]!.strength;
    }
    out.direction = first;
    out.strength = first === 'flat' ? 1 : weakest;
  });
}

/**
 * The direction more than half of the children hold (long, short or flat); flat when none has a
 * majority. Strength: the agreeing children's strengths summed, over the number of children.
 */
export function majority(children: readonly Child[]): Strategy<CombinedParams, CombinedState> {
  const named = nameChildren('majority', children, 2);
  return voting('majority', `The direction held by more than half of ${list(named)}; flat without a majority.`, named, (ops, out) => {
    let longs = 0;
    let shorts = 0;
    let longStrength = 0;
    let shortStrength = 0;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (op.direction === 'long') {
        longs++;
        longStrength += op.strength;
      } else if (op.direction === 'short') {
        shorts++;
        shortStrength += op.strength;
      }
    }
    const half = ops.length / 2;
    if (longs > half) {
      out.direction = 'long';
      out.strength = longStrength / ops.length;
    } else if (shorts > half) {
      out.direction = 'short';
      out.strength = shortStrength / ops.length;
    } else {
      out.direction = 'flat';
      out.strength = 1;
    }
  });
}

export interface WeightedChild {
  readonly strategy: AnyStrategy;
  readonly weight: number;
  readonly name?: string;
}

/**
 * Score = sum(weight * strength * (+1 long, -1 short, 0 flat)) / sum(weights), in [-1, 1].
 * Long when score >= threshold, short when score <= -threshold, flat between. Strength: |score|.
 * @example weighted([{ strategy: smaCross, weight: 2 }, { strategy: rsiReversion, weight: 1 }], 0.5)
 */
export function weighted(children: readonly WeightedChild[], threshold: number): Strategy<CombinedParams, CombinedState> {
  if (!(threshold > 0 && threshold <= 1)) throw new Error(`weighted: threshold must be in (0, 1], got ${threshold}`);
  for (const c of children) {
    if (!(Number.isFinite(c.weight) && c.weight > 0)) throw new Error(`weighted: weight of ${c.name ?? c.strategy.kind} must be a positive number, got ${c.weight}`);
  }
  const named = nameChildren('weighted', children.map((c) => ({ name: c.name ?? c.strategy.kind, strategy: c.strategy })), 2);
  const weights = Float64Array.from(children, (c) => c.weight);
  let total = 0;
  for (const w of weights) total += w;
  const description = `Weighted vote of ${children.map((c, i) => `${named[i]!.name}×${c.weight}`).join(', ')}; long at score >= ${threshold}, short at <= -${threshold}.`;
  return voting('weighted', description, named, (ops, out) => {
    let score = 0;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (op.direction !== 'flat') score += (op.direction === 'long' ? 1 : -1) * weights[i]! * op.strength;
    }
    score /= total;
    if (score >= threshold) {
      out.direction = 'long';
      out.strength = Math.min(1, score);
    } else if (score <= -threshold) {
      out.direction = 'short';
      out.strength = Math.min(1, -score);
    } else {
      out.direction = 'flat';
      out.strength = 1;
    }
  });
}

export interface GateOptions {
  /** The confirmer's opinion must be at least this strong (e.g. a model probability of 0.55). Default 0. */
  readonly minStrength?: number;
  /**
   * Also close the gated position as soon as the confirmer stops confirming it (a regime filter),
   * instead of holding it until the primary's next signal. Default false.
   */
  readonly exitWhenUnconfirmed?: boolean;
}

export interface GateState {
  primary: unknown;
  confirmer: unknown;
  /** The gated view; null until the primary has an opinion. */
  view: Direction | null;
  readonly opinion: { direction: Direction; strength: number };
  readonly step: [GateState, readonly SignalIntent[]];
}

/**
 * Passes the primary's signals only while the confirmer's opinion confirms them: same direction and
 * strength >= minStrength. Exits are never held hostage to the confirmer: a primary 'flat' always
 * passes, and an unconfirmed primary signal against the gated position turns it flat (e.g. a long
 * opened by a confirmed cross up is closed by the cross down even if the model does not say short).
 * By default the confirmer only filters entries and never opens or closes anything on its own; with
 * `exitWhenUnconfirmed` it also closes the position on the bar it stops confirming it.
 * @example gate(smaCross, lstmModel, { minStrength: 0.55 })
 */
export function gate(primary: Child, confirmer: Child, options: GateOptions = {}): Strategy<CombinedParams, GateState> {
  const minStrength = options.minStrength ?? 0;
  const exitWhenUnconfirmed = options.exitWhenUnconfirmed ?? false;
  if (!(minStrength >= 0 && minStrength <= 1)) throw new Error(`gate: minStrength must be in [0, 1], got ${minStrength}`);
  const named = nameChildren('gate', [primary, confirmer], 2);
  const p = named[0]!;
  const c = named[1]!;
  return {
    kind: 'gate',
    description: `Signals of ${p.name} pass only while ${c.name} holds the same direction${minStrength > 0 ? ` with strength >= ${minStrength}` : ''}; exits always pass${exitWhenUnconfirmed ? `, and a position ${c.name} stops confirming is closed` : ''}.`,
    params: paramsOf(named),
    init(params) {
      const step: [unknown, readonly SignalIntent[]] = [undefined, NO_SIGNALS];
      const state: GateState = {
        primary: p.strategy.init(params[p.name]),
        confirmer: c.strategy.init(params[c.name]),
        view: null,
        opinion: { direction: 'flat', strength: 1 },
        step: step as GateState['step'],
      };
      step[0] = state;
      return state;
    },
    onBar(s, bar: BarClosed): StrategyStep<GateState> {
      const primaryStep = p.strategy.onBar(s.primary, bar);
      const ps = primaryStep[0];
      const intents = primaryStep[1];
      s.primary = ps;
      s.confirmer = c.strategy.onBar(s.confirmer, bar)[0];
      s.step[1] = NO_SIGNALS;
      if (s.view === null) {
        if (p.strategy.opinion(ps) === null) return s.step;
        s.view = 'flat';
      }
      if (intents.length === 0 && !(exitWhenUnconfirmed && s.view !== 'flat')) return s.step;
      const confirmation = c.strategy.opinion(s.confirmer);
      let out: SignalIntent[] | null = null;
      for (const intent of intents) {
        const d = intent.direction;
        const confirmed = d === 'flat' || (confirmation !== null && confirmation.direction === d && confirmation.strength >= minStrength);
        const seen = confirmation === null ? 'no opinion yet' : `${confirmation.direction} ${fmt(confirmation.strength)}`;
        let next: Direction = s.view;
        let reason = intent.reason;
        if (confirmed) {
          next = d;
          if (d !== 'flat') reason = `${intent.reason}; confirmed by ${c.name} (${seen})`;
        } else if (s.view !== 'flat' && d !== s.view) {
          next = 'flat';
          reason = `${intent.reason}; not confirmed by ${c.name} (${seen}), so only the ${s.view} is closed`;
        }
        if (next === s.view) continue;
        s.view = next;
        s.opinion.direction = next;
        s.opinion.strength = next === 'flat' ? 1 : intent.strength;
        (out ??= []).push({ ...intent, direction: next, strength: s.opinion.strength, reason });
      }
      if (exitWhenUnconfirmed && s.view !== 'flat' && !(confirmation !== null && confirmation.direction === s.view && confirmation.strength >= minStrength)) {
        const seen = confirmation === null ? 'no opinion' : `${confirmation.direction} ${fmt(confirmation.strength)}`;
        (out ??= []).push({ direction: 'flat', strength: 1, reason: `${c.name} no longer confirms the ${s.view} (${seen})` });
        s.view = 'flat';
        s.opinion.direction = 'flat';
        s.opinion.strength = 1;
      }
      if (out !== null) s.step[1] = out;
      return s.step;
    },
    opinion(s) {
      return s.view === null ? null : s.opinion;
    },
    warmupBars: (params) => slowest(named, params),
  };
}
