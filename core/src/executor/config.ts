// Executor, venue-rule and risk-limit settings checked once at the trust boundary (CLI, API, config files).
import { z } from 'zod';
import { OrderType, TimeInForce } from '@qts/schemas';
import { ValidationError } from '../errors.ts';
import type { RiskLimits } from '../risk/limits.ts';
import type { ExecutorConfig, Sizing, VenueRules } from './types.ts';

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();

export const SizingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed-quantity'), quantity: positive }),
  z.object({ kind: z.literal('fixed-notional'), notional: positive }),
  z.object({ kind: z.literal('percent-equity'), percent: positive.max(1_000).default(100) }),
  z.object({ kind: z.literal('volatility-target'), riskPercent: positive.max(100), atrMultiple: positive.max(100) }),
]);

/** Defaults are what a Freqtrade or backtesting.py user expects: long-only, all-in, market orders, GTC. */
export const ExecutorConfigSchema = z.object({
  account: z.string().min(1).max(64).default('main'),
  venue: z.string().min(1).max(64).default('sim'),
  sizing: SizingSchema.default({ kind: 'percent-equity', percent: 100 }),
  orderType: OrderType.default('market'),
  limitOffsetBps: z.number().min(-1_000).max(1_000).default(0),
  stopLossPct: positive.max(100).optional(),
  takeProfitPct: positive.max(10_000).optional(),
  allowShort: z.boolean().default(false),
  timeInForce: TimeInForce.default('GTC'),
  scaleByStrength: z.boolean().default(false),
}).strict();

export const VenueRulesSchema = z.object({
  tickSize: positive,
  lotStep: positive,
  minQuantity: nonNegative.default(0),
  minNotional: nonNegative.default(0),
  makerFeeBps: z.number().min(-100).max(1_000).default(10),
  takerFeeBps: z.number().min(0).max(1_000).default(10),
}).strict();

export const RiskLimitsSchema = z.object({
  maxPositionNotional: positive.optional(),
  maxGrossExposure: positive.optional(),
  maxOrderNotional: positive.optional(),
  maxOrdersPerMinute: z.number().int().positive().optional(),
  cooldownAfterLossMs: z.number().int().nonnegative().optional(),
  maxDailyLoss: positive.optional(),
  maxDrawdownPct: positive.max(100).optional(),
}).strict();

/** Checks and completes an executor config; throws a ValidationError naming each bad field. */
export function parseExecutorConfig(input: unknown): ExecutorConfig {
  return parse('executor config', ExecutorConfigSchema, input ?? {}) as ExecutorConfig & { sizing: Sizing };
}

export function parseVenueRules(input: unknown): VenueRules {
  return parse('venue rules', VenueRulesSchema, input);
}

export function parseRiskLimits(input: unknown): RiskLimits {
  return parse('risk limits', RiskLimitsSchema, input ?? {});
}

function parse<T>(what: string, schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new ValidationError(`invalid ${what}: ${issues.map((i) => `${i.path || what}: ${i.message}`).join('; ')}`, issues);
}
