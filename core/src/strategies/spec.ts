// Builds a strategy, hybrids included, from a JSON description (CLI flag, API body, config file).
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { builtInStrategies } from './builtins.ts';
import { gate, majority, unanimous, weighted } from './combinators.ts';
import type { Child } from './combinators.ts';
import type { AnyStrategy } from './strategy.ts';

/**
 * A strategy by kind, or a combinator over other specs. Params are not part of the spec: they are
 * given separately (nested by child name) so the optimiser can sweep them over one structure.
 * @example { "kind": "gate", "primary": "sma-cross", "confirmer": { "kind": "unanimous", "of": ["macd-cross", "rsi-reversion"] }, "minStrength": 0.55 }
 */
export type StrategySpec =
  | string
  | { readonly kind: 'unanimous' | 'majority'; readonly of: readonly ChildSpec[] }
  | { readonly kind: 'weighted'; readonly of: readonly WeightedSpec[]; readonly threshold: number }
  | { readonly kind: 'gate'; readonly primary: ChildSpec; readonly confirmer: ChildSpec; readonly minStrength?: number; readonly exitWhenUnconfirmed?: boolean };

export type ChildSpec = StrategySpec | { readonly name: string; readonly strategy: StrategySpec };
export type WeightedSpec = { readonly strategy: StrategySpec; readonly weight: number; readonly name?: string };

const Name = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'letters, digits, - or _').max(64);

const Combinator = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.enum(['unanimous', 'majority']), of: z.array(z.lazy(() => ChildSchema)).min(2).max(16) }),
  z.strictObject({
    kind: z.literal('weighted'),
    of: z.array(z.strictObject({ strategy: z.lazy(() => Spec), weight: z.number().positive().finite(), name: Name.optional() })).min(2).max(16),
    threshold: z.number().gt(0).max(1),
  }),
  z.strictObject({
    kind: z.literal('gate'), primary: z.lazy(() => ChildSchema), confirmer: z.lazy(() => ChildSchema),
    minStrength: z.number().min(0).max(1).optional(), exitWhenUnconfirmed: z.boolean().optional(),
  }),
], { error: () => 'must be unanimous, majority, weighted or gate; a single strategy is written as its kind, e.g. "sma-cross"' });
const Spec: z.ZodType<StrategySpec> = z.union([z.string().min(1), Combinator]);
const ChildSchema: z.ZodType<ChildSpec> = z.union([Spec, z.strictObject({ name: Name, strategy: Spec })]);

/**
 * Resolves a spec against a registry of strategies by kind (the built-ins by default; add model
 * strategies to it). Refuses unknown kinds and malformed specs with a ValidationError naming the path.
 * @example strategyFromSpec({ kind: 'unanimous', of: ['sma-cross', 'rsi-reversion'] })
 */
export function strategyFromSpec(spec: unknown, registry: Readonly<Record<string, AnyStrategy>> = builtInStrategies): AnyStrategy {
  const parsed = Spec.safeParse(spec);
  if (!parsed.success) {
    const issues = explain(parsed.error.issues, []);
    throw new ValidationError(`invalid strategy spec: ${issues.map((i) => `${i.path || 'spec'}: ${i.message}`).join('; ')}`, issues);
  }
  return build(parsed.data, registry, '');
}

type Issue = { readonly path: string; readonly message: string };

/**
 * zod reports a failed union as "Invalid input" with every branch's issues; name instead the issues
 * of the branch the input was closest to (right type, fewest issues), so users see what to fix.
 */
function explain(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]): Issue[] {
  return issues.flatMap((issue): Issue[] => {
    const at = [...prefix, ...issue.path];
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) {
      return [{ path: at.map(String).join('.'), message: issue.message }];
    }
    const candidates = issue.errors
      .filter((branch) => !(branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0))
      .map((branch) => explain(branch, at))
      .sort((a, b) => a.length - b.length);
    return candidates[0] ?? [{ path: at.map(String).join('.'), message: 'must be a strategy kind or a combinator object { kind, ... }' }];
  });
}

function build(spec: StrategySpec, registry: Readonly<Record<string, AnyStrategy>>, path: string): AnyStrategy {
  if (typeof spec === 'string') {
    const found = Object.hasOwn(registry, spec) ? registry[spec] : undefined;
    if (found === undefined) {
      const message = `unknown strategy '${spec}'; known: ${Object.keys(registry).join(', ')}`;
      throw new ValidationError(`invalid strategy spec: ${path || 'spec'}: ${message}`, [{ path, message }]);
    }
    return found;
  }
  try {
    switch (spec.kind) {
      case 'unanimous':
        return unanimous(spec.of.map((c, i) => child(c, registry, at(path, `of.${i}`))));
      case 'majority':
        return majority(spec.of.map((c, i) => child(c, registry, at(path, `of.${i}`))));
      case 'weighted':
        return weighted(spec.of.map((c, i) => ({ strategy: build(c.strategy, registry, at(path, `of.${i}.strategy`)), weight: c.weight, ...(c.name ? { name: c.name } : {}) })), spec.threshold);
      case 'gate':
        return gate(child(spec.primary, registry, at(path, 'primary')), child(spec.confirmer, registry, at(path, 'confirmer')), {
          ...(spec.minStrength === undefined ? {} : { minStrength: spec.minStrength }),
          ...(spec.exitWhenUnconfirmed === undefined ? {} : { exitWhenUnconfirmed: spec.exitWhenUnconfirmed }),
        });
      default: {
        const never: never = spec;
        throw new Error(`unhandled spec ${JSON.stringify(never)}`);
      }
    }
  } catch (e) {
    // Combinators refuse duplicate child names with a plain Error; at this boundary it is bad input.
    if (e instanceof ValidationError || !(e instanceof Error)) throw e;
    throw new ValidationError(`invalid strategy spec: ${path || 'spec'}: ${e.message}`, [{ path, message: e.message }]);
  }
}

function child(spec: ChildSpec, registry: Readonly<Record<string, AnyStrategy>>, path: string): Child {
  if (typeof spec === 'object' && 'strategy' in spec) return { name: spec.name, strategy: build(spec.strategy, registry, at(path, 'strategy')) };
  return build(spec, registry, path);
}

function at(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
