// A strategy's parameter form built from its param space: values, client-side range checks, and the API's field errors.
import catalog from './catalog.gen.json' with { type: 'json' };

export interface ParamSpec { readonly path: string; readonly default: number; readonly min: number; readonly max: number; readonly step: number; readonly integer: boolean; readonly description?: string }
export interface StrategyInfo { readonly kind: string; readonly description: string; readonly params: readonly ParamSpec[] }

export const strategyKinds: readonly StrategyInfo[] = catalog as StrategyInfo[];
export const specsOf = (kind: string): readonly ParamSpec[] => strategyKinds.find((s) => s.kind === kind)?.params ?? [];

/** Flat 'a.b' paths to the nested object the API expects. */
export function nest(flat: Record<string, number>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, v] of Object.entries(flat)) {
    const parts = path.split('.');
    let o = out;
    for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
    o[parts[parts.length - 1]!] = v;
  }
  return out;
}

function pick(obj: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

/** Checks one value against its spec; the message names the range like the API's does. */
export function checkParam(spec: ParamSpec, raw: string): string | null {
  if (raw.trim() === '') return 'required';
  const v = Number(raw);
  if (!Number.isFinite(v)) return 'not a number';
  if (spec.integer && !Number.isInteger(v)) return 'must be a whole number';
  if (v < spec.min || v > spec.max) return `must be between ${spec.min} and ${spec.max}`;
  return null;
}

export class ParamForm {
  #specs = $state.raw<readonly ParamSpec[]>([]);
  #raw = $state<Record<string, string>>({});
  #serverErrors = $state<Record<string, string>>({});
  #errors = $derived.by(() => {
    const out: Record<string, string> = {};
    for (const s of this.#specs) {
      const e = checkParam(s, this.#raw[s.path] ?? '') ?? this.#serverErrors[s.path];
      if (e) out[s.path] = e;
    }
    for (const [k, v] of Object.entries(this.#serverErrors)) if (!(k in out) && !this.#specs.some((s) => s.path === k)) out[k] = v;
    return out;
  });

  constructor(specs: readonly ParamSpec[] = [], current: Record<string, unknown> = {}) {
    this.reset(specs, current);
  }

  get specs(): readonly ParamSpec[] { return this.#specs; }
  get errors(): Record<string, string> { return this.#errors; }
  get valid(): boolean { return Object.keys(this.#errors).length === 0; }

  value(path: string): string { return this.#raw[path] ?? ''; }
  set(path: string, raw: string): void {
    this.#raw[path] = raw;
    if (path in this.#serverErrors) { const { [path]: _gone, ...rest } = this.#serverErrors; this.#serverErrors = rest; }
  }

  /** Starts over from a strategy's specs and its current params (defaults where absent). */
  reset(specs: readonly ParamSpec[], current: Record<string, unknown> = {}): void {
    this.#specs = specs;
    const raw: Record<string, string> = {};
    for (const s of specs) { const v = pick(current, s.path); raw[s.path] = String(typeof v === 'number' ? v : s.default); }
    this.#raw = raw;
    this.#serverErrors = {};
  }

  /** Field errors from a 400 (`fast` from 'body.params.fast'); anything without a field shows under the form. */
  setServerErrors(errors: Record<string, string>): void { this.#serverErrors = errors; }

  params(): Record<string, unknown> {
    const flat: Record<string, number> = {};
    for (const s of this.#specs) flat[s.path] = Number(this.#raw[s.path]);
    return nest(flat);
  }
}
