// The read-model tables as kysely sees them: one interface per table, numerics as decimal strings.
import type { Kysely, Transaction } from 'kysely';

/** numeric and int8 come back from pg as strings. Columns are plain `numeric`: exact like numeric(38,18), but an extreme yet schema-valid event can never overflow one and stall the projector. */
type Num = string | number | bigint;

export interface CheckpointTable { name: string; position: Num; updated_at: Num }

export interface InstrumentTable {
  venue: string; instrument: string;
  last_price: Num | null; last_ts: Num | null;
  bid: Num | null; ask: Num | null; quote_ts: Num | null;
  first_seen: Num;
}

export interface BarTable {
  venue: string; instrument: string; timeframe: string; open_time: Num;
  open: Num; high: Num; low: Num; close: Num; volume: Num; close_time: Num;
  /** 'native' (a BarClosed), 'ticks' (aggregated trades) or 'rollup:<tf>' (from smaller bars). */
  source: string;
  first_ts: Num | null; last_ts: Num | null;
}

export interface SignalTable {
  id: string; strategy_id: string; instrument: string; direction: string; strength: Num;
  price: Num; as_of: Num; reason: string; model: unknown | null; correlation_id: string; position: Num;
}

export interface OrderTable {
  client_order_id: string; signal_id: string | null; strategy_id: string; account: string | null; venue: string | null;
  instrument: string; side: string | null; type: string | null; quantity: Num | null;
  limit_price: Num | null; stop_price: Num | null; time_in_force: string | null; reduce_only: boolean | null;
  parent_client_order_id: string | null; status: string; filled_quantity: Num; average_fill_price: Num | null;
  venue_order_id: string | null; reject_reason: unknown | null; cancel_reason: string | null; correlation_id: string;
  requested_at: Num | null; rejected_at: Num | null; submitted_at: Num | null; accepted_at: Num | null;
  first_fill_at: Num | null; filled_at: Num | null; cancel_requested_at: Num | null; cancelled_at: Num | null;
  expired_at: Num | null; updated_at: Num;
}

export interface FillTable {
  fill_id: string; client_order_id: string; instrument: string; venue_order_id: string; side: string;
  price: Num; quantity: Num; fee: Num; fee_currency: string; liquidity: string; ts: Num; event_id: string;
}

export interface PositionTable {
  account: string;
  /** '*' is the account-wide row; any other value is one strategy's share. */
  strategy_id: string;
  instrument: string; quantity: Num; average_price: Num; realized_pnl: Num; fees: Num;
  last_price: Num | null; unrealized_pnl: Num; updated_at: Num;
  /** Exact cost of the open quantity (core's Position.costUnits); null on rows written before it was kept. */
  cost_basis?: Num | null;
  /** Time of the mark in last_price. */
  mark_ts?: Num | null;
}

export interface PositionOrderTable { client_order_id: string; account: string; strategy_id: string }
export interface PositionFillTable { fill_id: string }

export interface EquityTable { account: string; realized_pnl: Num; unrealized_pnl: Num; fees: Num; equity: Num; updated_at: Num }
export interface EquityHistoryTable { account: string; ts: Num; equity: Num; realized_pnl: Num; unrealized_pnl: Num; fees: Num }

export interface StrategyTable {
  strategy_id: string; kind: string; instruments: unknown; timeframe: string; params: unknown; status: string;
  started_at: Num | null; stopped_at: Num | null; stop_reason: string | null; changed_by: string | null;
  signal_count: Num; last_signal_at: Num | null; updated_at: Num;
  previous_params: unknown | null; params_rejection: unknown | null;
}

export interface RiskStateTable {
  account: string; halted: boolean; halted_at: Num | null; halt_reason: unknown | null;
  resumed_at: Num | null; resumed_by: string | null; last_breach: unknown | null; last_breach_at: Num | null;
  breach_count: Num; updated_at: Num;
}

export interface DeadLetterTable {
  topic: string; partition: number; offset: string; reason: string; failure: unknown;
  raw_text: string | null; raw_base64: string; received_at: Num;
}

/** One trained model version; its status follows from retired_at and its family's champion. */
export interface ModelTable {
  version: string; family: string; number: number; kind: string; instrument: string; timeframe: string;
  metrics: unknown; params: unknown; feature_spec_hash: string; data_from: Num; data_to: Num; data_bars: Num;
  code_version: string; seed: Num; trained_at: Num; promoted_at: Num | null; retired_at: Num | null; retire_reason: string | null;
}

export interface ModelFamilyTable { family: string; instrument: string; timeframe: string; champion: string | null; updated_at: Num }

export interface ExperimentTable {
  experiment_id: string; family: string; mode: string; champion: string; status: string; started_at: Num;
  concluded_at: Num | null; decision: string | null; winner: string | null; p_value: number | null; updated_at: Num;
}

/** Per-variant counters of an experiment: its recorded signals are counted here, never kept one row each. */
export interface ExperimentVariantTable {
  experiment_id: string; version: string; ordinal: number; share: number; role: string; signals: Num; traded: Num; stats: unknown | null;
}

export interface AuditEventTable {
  position: Num; type: string; instrument: string | null; correlation_id: string; recorded_ms: Num;
}

export interface ReadModelDb {
  audit_events: AuditEventTable;
  projection_checkpoints: CheckpointTable;
  instruments: InstrumentTable;
  bars: BarTable;
  signals: SignalTable;
  orders: OrderTable;
  fills: FillTable;
  positions: PositionTable;
  position_orders: PositionOrderTable;
  position_fills: PositionFillTable;
  equity: EquityTable;
  equity_history: EquityHistoryTable;
  strategies: StrategyTable;
  risk_state: RiskStateTable;
  dead_letters: DeadLetterTable;
  models: ModelTable;
  model_families: ModelFamilyTable;
  experiments: ExperimentTable;
  experiment_variants: ExperimentVariantTable;
}

export type ReadDb = Kysely<ReadModelDb>;
export type ReadTx = Transaction<ReadModelDb>;

/** A numeric column as a JS number, for the API; null stays null. */
export function num(v: Num | null | undefined): number | null {
  return v === null || v === undefined ? null : Number(v);
}
