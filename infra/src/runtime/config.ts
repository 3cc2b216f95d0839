// The runtime configuration: defaults, then a JSON file, then environment variables; validated once by zod.
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { Instrument, Timeframe } from '@qts/schemas';
import { ValidationError } from '@qts/core';
import { NotifyConfig } from '../notify/config.ts';

const Sizing = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed-quantity'), quantity: z.number().positive() }),
  z.object({ kind: z.literal('fixed-notional'), notional: z.number().positive() }),
  z.object({ kind: z.literal('percent-equity'), percent: z.number().positive().max(100) }),
  z.object({ kind: z.literal('volatility-target'), riskPercent: z.number().positive().max(100), atrMultiple: z.number().positive() }),
]);

const StrategyConfig = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase letters, digits, dot, dash, underscore'),
  kind: z.string().min(1),
  instrument: Instrument,
  timeframe: Timeframe,
  params: z.record(z.string(), z.unknown()).default({}),
});

const Family = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a model family like lstm-btcusdt-1h').max(120);
const ModelVersion = z.string().regex(/^[a-z0-9][a-z0-9_-]*@[1-9][0-9]*$/, 'a model version like lstm-btcusdt-1h@4');

/** An A/B experiment of the family's champion against challenger versions, run by the ml worker. */
const ExperimentConfig = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/),
  /** split: each bar's decision is owned by one variant by hash and share; shadow: the champion trades, challengers are only recorded. */
  mode: z.enum(['split', 'shadow']),
  /** In split mode the champion keeps 1 - the challengers' shares. */
  challengers: z.array(z.object({ version: ModelVersion, share: z.number().min(0).max(1).default(0) })).min(1),
  /** Closed hypothetical trades each variant needs before the one bootstrap test runs. */
  minTrades: z.number().int().min(5).default(30),
  alpha: z.number().gt(0).lt(0.5).default(0.05),
  feeBps: z.number().nonnegative().default(10),
  resamples: z.number().int().min(100).max(100_000).default(2000),
  seed: z.number().int().default(1),
  /** Promote the winning challenger in the registry when the test says so (the worker then swaps to it). */
  autoPromote: z.boolean().default(true),
});

/**
 * A model-driven strategy run by `qts worker ml`: the champion of a registry family (e.g. the
 * versions `qts train` registered as lstm-btcusdt-1h@N), alone or inside a combinator where `spec`
 * names it "model".
 */
const ModelStrategyConfig = z.object({
  id: StrategyConfig.shape.id,
  family: Family,
  instrument: Instrument,
  timeframe: Timeframe,
  /** Plain model: { longAbove, shortBelow }; with a spec: nested by child name, e.g. { "sma-cross": {...}, "model": { "longAbove": 0.55 } }. */
  params: z.record(z.string(), z.unknown()).default({}),
  /** A hybrid, e.g. { "kind": "gate", "primary": "sma-cross", "confirmer": "model", "minStrength": 0.55 }. */
  spec: z.unknown().optional(),
  /** The feature spec this worker computes (default: the default spec, what `qts train` uses); a model trained on another is refused. */
  features: z.record(z.string(), z.unknown()).optional(),
  experiment: ExperimentConfig.optional(),
});

const ReplayFeed = z.object({
  kind: z.literal('replay'),
  /** CSV files of recorded bars (time,open,high,low,close,volume), fed as a live market. */
  files: z.array(z.object({ path: z.string().min(1), instrument: Instrument, timeframe: Timeframe, venue: z.string().default('replay') })).min(1),
  /** Bars per second per file; 0 = as fast as the pipeline takes them. */
  barsPerSecond: z.number().nonnegative().default(20),
});

const Updates = z.enum(['auto', 'stream', 'poll']).default('auto');

/** A live exchange's candles through ccxt: closed bars only, history first (warm-up, gaps), then websocket or polling. */
const CcxtFeed = z.object({
  kind: z.literal('ccxt'),
  exchange: z.string().min(1),
  symbols: z.array(Instrument).min(1),
  timeframe: Timeframe,
  /** Overrides the exchange's API base URL (a testnet, or a local stand-in in tests). */
  baseUrl: z.string().url().optional(),
  sandbox: z.boolean().default(false),
  /** 'stream' candles over ccxt.pro websockets, 'poll' the REST API; 'auto' streams when the exchange can. */
  updates: Updates,
  /** Closed bars fetched from history when the store holds none of a series. */
  warmupBars: z.number().int().nonnegative().max(5_000).default(300),
});

export const RuntimeConfig = z.object({
  mode: z.enum(['embedded', 'distributed']).default('embedded'),
  /** Prefixes every topic and consumer group (and names the Postgres schemas), so systems can share servers. */
  namespace: z.string().regex(/^[a-z0-9_]{0,40}$/, 'lowercase letters, digits and underscores').default(''),
  /** Where embedded state lives (PGlite data, API token hash). */
  dataDir: z.string().default('var/embedded'),
  account: z.string().default('paper'),
  cash: z.number().positive().default(10_000),
  bus: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('in-process') }),
    z.object({
      kind: z.literal('kafka'),
      brokers: z.array(z.string().min(1)).min(1),
      partitions: z.number().int().positive().default(3),
      /** How soon a dead worker's partitions go to a live one (the broker allows 6 s and up). */
      sessionTimeoutMs: z.number().int().min(6_000).default(10_000),
      /** Copy type, version and correlation id into record headers, for tools that filter without parsing (costs publisher CPU). */
      eventHeaders: z.boolean().default(false),
    }),
  ]).default({ kind: 'in-process' }),
  eventStore: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('pglite') }),
    z.object({ kind: z.literal('postgres'), url: z.string().min(1) }),
    z.object({ kind: z.literal('esdb'), url: z.string().min(1) }),
  ]).default({ kind: 'pglite' }),
  readModels: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('pglite') }),
    z.object({ kind: z.literal('postgres'), url: z.string().min(1) }),
  ]).default({ kind: 'pglite' }),
  market: z.discriminatedUnion('kind', [ReplayFeed, CcxtFeed]).default({
    kind: 'replay',
    files: [{ path: 'infra/data/sample/BTCUSDT-5m.csv', instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }],
    barsPerSecond: 20,
  }),
  venue: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('paper'),
      slippageBps: z.number().nonnegative().default(2),
      makerFeeBps: z.number().nonnegative().default(2),
      takerFeeBps: z.number().nonnegative().default(10),
    }),
    z.object({
      kind: z.literal('ccxt'),
      exchange: z.string().min(1),
      /** Overrides the exchange's API base URL (a testnet, or a local stand-in in tests). */
      baseUrl: z.string().url().optional(),
      sandbox: z.boolean().default(false),
      /** Order updates: 'stream' the user-data websocket, 'poll' fetchOrder; 'auto' streams when the exchange can. */
      updates: Updates,
      /** A signal older than this when it reaches the executor is not traded (live time, not replayed time). */
      maxSignalAgeMs: z.number().int().positive().default(120_000),
      /** Per request to the exchange; a slower answer is an unknown outcome, followed up by clientOrderId. */
      timeoutMs: z.number().int().positive().default(10_000),
    }),
  ]).default({ kind: 'paper', slippageBps: 2, makerFeeBps: 2, takerFeeBps: 10 }),
  strategies: z.array(StrategyConfig).default([
    { id: 'sma-btc', kind: 'sma-cross', instrument: 'BTC/USDT', timeframe: '5m', params: { fast: 10, slow: 30 } },
  ]),
  /** Model strategies for `qts worker ml` (and `qts start`): none by default. */
  models: z.array(ModelStrategyConfig).default([]),
  /** Model artifact storage directory (default: QTS_MODEL_DIR or <dataDir>/models, where `qts train` writes). */
  modelDir: z.string().optional(),
  executor: z.object({
    sizing: Sizing.default({ kind: 'percent-equity', percent: 100 }),
    allowShort: z.boolean().default(false),
    stopLossPct: z.number().positive().max(100).optional(),
    takeProfitPct: z.number().positive().optional(),
  }).default({ sizing: { kind: 'percent-equity', percent: 100 }, allowShort: false }),
  risk: z.object({
    maxOrderNotional: z.number().positive().optional(),
    maxPositionNotional: z.number().positive().optional(),
    maxGrossExposure: z.number().positive().optional(),
    maxOrdersPerMinute: z.number().int().positive().optional(),
    cooldownAfterLossMs: z.number().int().nonnegative().optional(),
    maxDailyLoss: z.number().positive().optional(),
    maxDrawdownPct: z.number().positive().max(100).optional(),
  }).default({}),
  api: z.object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    /** Allowed browser origin for CORS (the dashboard). */
    uiOrigin: z.string().optional(),
    readRequiresToken: z.boolean().default(false),
  }).default({ host: '127.0.0.1', port: 8080, readRequiresToken: false }),
  /** Fills, halts, rejections and worker errors to Telegram and/or a webhook (secrets from env only). */
  notify: NotifyConfig,
});
export type RuntimeConfig = z.infer<typeof RuntimeConfig>;

/** Secrets never live in the config file: only their environment variable names do. */
export interface Secrets {
  readonly apiToken?: string;
  readonly exchangeApiKey?: string;
  readonly exchangeSecret?: string;
  readonly telegramBotToken?: string;
  readonly webhookSecret?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Environment variables that override the file: the twelve-factor way to point a worker at Kafka or Postgres. */
function fromEnv(env: Env): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (env.QTS_MODE) o.mode = env.QTS_MODE;
  if (env.QTS_NAMESPACE) o.namespace = env.QTS_NAMESPACE;
  if (env.QTS_DATA_DIR) o.dataDir = env.QTS_DATA_DIR;
  if (env.KAFKA_BROKERS) {
    o.bus = {
      kind: 'kafka', brokers: env.KAFKA_BROKERS.split(',').map((s) => s.trim()),
      ...(env.QTS_KAFKA_SESSION_TIMEOUT_MS ? { sessionTimeoutMs: Number(env.QTS_KAFKA_SESSION_TIMEOUT_MS) } : {}),
      ...(env.QTS_KAFKA_EVENT_HEADERS ? { eventHeaders: env.QTS_KAFKA_EVENT_HEADERS === 'true' || env.QTS_KAFKA_EVENT_HEADERS === '1' } : {}),
    };
  }
  if (env.QTS_BUS === 'in-process') o.bus = { kind: 'in-process' };
  if (env.ESDB_URL && env.QTS_EVENT_STORE !== 'postgres') o.eventStore = { kind: 'esdb', url: env.ESDB_URL };
  else if (env.PG_URL && env.QTS_EVENT_STORE !== 'pglite') o.eventStore = { kind: 'postgres', url: env.PG_URL };
  if (env.PG_URL && env.QTS_READ_MODELS !== 'pglite') o.readModels = { kind: 'postgres', url: env.PG_URL };
  if (env.QTS_API_PORT) o.api = { port: Number(env.QTS_API_PORT) };
  if (env.QTS_API_HOST) o.api = { ...(o.api as object), host: env.QTS_API_HOST };
  if (env.QTS_TELEGRAM_CHAT_ID) o.notify = { telegram: { chatId: env.QTS_TELEGRAM_CHAT_ID, ...(env.QTS_TELEGRAM_BASE_URL ? { baseUrl: env.QTS_TELEGRAM_BASE_URL } : {}) } };
  if (env.QTS_WEBHOOK_URL) o.notify = { ...(o.notify as object), webhook: { url: env.QTS_WEBHOOK_URL } };
  if (env.QTS_BARS_PER_SECOND) o.market = { barsPerSecond: Number(env.QTS_BARS_PER_SECOND) };
  return o;
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = b && typeof b === 'object' && !Array.isArray(b) && v && typeof v === 'object' && !Array.isArray(v)
      ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

/**
 * Loads the config: `--config` path or QTS_CONFIG or ./qts.config.json when present, then env overrides.
 * Throws a ValidationError naming every wrong field, so a bad config stops the start with all reasons at once.
 */
export function loadConfig(options: { path?: string; env?: Env; cwd?: string } = {}): { config: RuntimeConfig; secrets: Secrets } {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const path = options.path ?? env.QTS_CONFIG ?? (existsSync(resolve(cwd, 'qts.config.json')) ? 'qts.config.json' : undefined);
  let file: Record<string, unknown> = {};
  if (path) {
    try {
      file = JSON.parse(readFileSync(resolve(cwd, path), 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new ValidationError(`config ${path}: ${(e as Error).message}`, [{ path: path, message: (e as Error).message }]);
    }
  }
  // Defaults first, so a partial override (say, only the replay speed) lands on a complete section.
  const merged = merge(merge(RuntimeConfig.parse({}) as Record<string, unknown>, file), fromEnv(env));
  const parsed = RuntimeConfig.safeParse(merged);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
    throw new ValidationError(`invalid configuration:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`, issues);
  }
  return {
    config: parsed.data,
    secrets: {
      apiToken: env.QTS_API_TOKEN,
      exchangeApiKey: readSecret(env, 'QTS_EXCHANGE_API_KEY', cwd),
      exchangeSecret: readSecret(env, 'QTS_EXCHANGE_SECRET', cwd),
      telegramBotToken: readSecret(env, 'QTS_TELEGRAM_BOT_TOKEN', cwd),
      webhookSecret: readSecret(env, 'QTS_WEBHOOK_SECRET', cwd),
    },
  };
}

/** A secret from NAME, or from the file that NAME_FILE points at (Docker secrets). */
function readSecret(env: Env, name: string, cwd: string): string | undefined {
  if (env[name]) return env[name];
  const file = env[`${name}_FILE`];
  return file ? readFileSync(resolve(cwd, file), 'utf8').trim() : undefined;
}

/** The Postgres schema of the event store: one per namespace, so several systems can share a server. */
export const eventStoreSchema = (config: Pick<RuntimeConfig, 'namespace'>): string => (config.namespace ? `${config.namespace}_event_store` : 'event_store');

/** The Postgres schema of the read models on a server (`public` without a namespace); every process that reads or rebuilds them uses this. */
export const readModelSchema = (config: Pick<RuntimeConfig, 'namespace'>): string | undefined => (config.namespace ? `${config.namespace}_read` : undefined);
