// Model registry and A/B experiments: versions per family with the champion in force, and each experiment's per-variant counts and outcome.
import { sql, type Kysely } from 'kysely';
import type { DomainEvent } from '@qts/schemas';
import type { ExperimentTable, ExperimentVariantTable, ModelFamilyTable, ModelTable, ReadTx } from '../db.ts';
import { defineProjection } from '../projection.ts';

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
const variantKey = (experimentId: string, version: string): string => `${experimentId}\u0000${version}`;

/** The tables one projection batch writes, each row once: kysely's per-table typing does not reach a table chosen at run time. */
type Rows = Kysely<Record<string, Record<string, unknown>>>;

async function upsert(trx: ReadTx, table: string, key: readonly string[], values: readonly object[]): Promise<void> {
  if (values.length === 0) return;
  const cols = Object.keys(values[0]!).filter((c) => !key.includes(c));
  await (trx as unknown as Rows).insertInto(table).values(values as Record<string, unknown>[])
    .onConflict((oc) => oc.columns([...key]).doUpdateSet(Object.fromEntries(cols.map((c) => [c, sql.ref(`excluded.${c}`)]))))
    .execute();
}

export const modelsProjection = defineProjection({
  name: 'models',
  handles: ['ModelTrained', 'ModelPromoted', 'ModelRetired', 'ExperimentStarted', 'ExperimentSignalRecorded', 'ExperimentConcluded'],
  tables: { models: ['version'], model_families: ['family'], experiments: ['experiment_id'], experiment_variants: ['experiment_id', 'version'] },
  migrations: {
    '001_models': {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('model_families')
          .addColumn('family', 'text', (c) => c.primaryKey())
          .addColumn('instrument', 'text', (c) => c.notNull())
          .addColumn('timeframe', 'text', (c) => c.notNull())
          .addColumn('champion', 'text')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createTable('models')
          .addColumn('version', 'text', (c) => c.primaryKey())
          .addColumn('family', 'text', (c) => c.notNull())
          .addColumn('number', 'integer', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('instrument', 'text', (c) => c.notNull())
          .addColumn('timeframe', 'text', (c) => c.notNull())
          .addColumn('metrics', 'jsonb', (c) => c.notNull())
          .addColumn('params', 'jsonb', (c) => c.notNull())
          .addColumn('feature_spec_hash', 'text', (c) => c.notNull())
          .addColumn('data_from', 'bigint', (c) => c.notNull())
          .addColumn('data_to', 'bigint', (c) => c.notNull())
          .addColumn('data_bars', 'bigint', (c) => c.notNull())
          .addColumn('code_version', 'text', (c) => c.notNull())
          .addColumn('seed', 'bigint', (c) => c.notNull())
          .addColumn('trained_at', 'bigint', (c) => c.notNull())
          .addColumn('promoted_at', 'bigint').addColumn('retired_at', 'bigint').addColumn('retire_reason', 'text')
          .execute();
        await db.schema.createIndex('models_by_family').on('models').columns(['family', 'number']).execute();
        await db.schema.createTable('experiments')
          .addColumn('experiment_id', 'text', (c) => c.primaryKey())
          .addColumn('family', 'text', (c) => c.notNull())
          .addColumn('mode', 'text', (c) => c.notNull())
          .addColumn('champion', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('started_at', 'bigint', (c) => c.notNull())
          .addColumn('concluded_at', 'bigint').addColumn('decision', 'text').addColumn('winner', 'text')
          .addColumn('p_value', 'double precision')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('experiments_by_time').on('experiments').columns(['started_at', 'experiment_id']).execute();
        await db.schema.createTable('experiment_variants')
          .addColumn('experiment_id', 'text', (c) => c.notNull())
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('ordinal', 'integer', (c) => c.notNull())
          .addColumn('share', 'double precision', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('signals', 'bigint', (c) => c.notNull())
          .addColumn('traded', 'bigint', (c) => c.notNull())
          .addColumn('stats', 'jsonb')
          .addPrimaryKeyConstraint('experiment_variants_pk', ['experiment_id', 'version'])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        for (const t of ['experiment_variants', 'experiments', 'models', 'model_families']) await db.schema.dropTable(t).ifExists().execute();
      },
    },
  },
  async apply(trx, events) {
    const versions = new Set<string>();
    const families = new Set<string>();
    const experimentIds = new Set<string>();
    for (const { event: e } of events) {
      const d = e.data as { family: string; version?: string; experimentId?: string };
      // A batch of experiment signals (the frequent case) reads and writes only its experiments' variant rows.
      if (e.type.startsWith('Model')) { families.add(d.family); versions.add(d.version!); } else experimentIds.add(d.experimentId!);
    }
    if (families.size === 0 && experimentIds.size === 0) return;
    const models = new Map<string, ModelTable>();
    const fams = new Map<string, ModelFamilyTable>();
    const exps = new Map<string, ExperimentTable>();
    const variants = new Map<string, ExperimentVariantTable>();
    if (versions.size > 0) for (const r of await trx.selectFrom('models').selectAll().where('version', 'in', [...versions]).execute()) models.set(r.version, r);
    if (families.size > 0) for (const r of await trx.selectFrom('model_families').selectAll().where('family', 'in', [...families]).execute()) fams.set(r.family, r);
    if (experimentIds.size > 0) {
      for (const r of await trx.selectFrom('experiments').selectAll().where('experiment_id', 'in', [...experimentIds]).execute()) exps.set(r.experiment_id, r);
      for (const r of await trx.selectFrom('experiment_variants').selectAll().where('experiment_id', 'in', [...experimentIds]).execute()) variants.set(variantKey(r.experiment_id, r.version), r);
    }
    const touched = { models: new Set<string>(), fams: new Set<string>(), exps: new Set<string>(), variants: new Set<string>() };
    const family = (name: string, ts: number): ModelFamilyTable => {
      let f = fams.get(name);
      // A promotion may be all that was recorded of a family (recording began after its training).
      if (!f) { f = { family: name, instrument: '', timeframe: '', champion: null, updated_at: 0 }; fams.set(name, f); }
      f.updated_at = Math.max(Number(f.updated_at), ts);
      touched.fams.add(name);
      return f;
    };
    const model = (version: string): ModelTable | undefined => {
      const m = models.get(version);
      if (m) touched.models.add(version);
      return m;
    };
    const variant = (experimentId: string, version: string): ExperimentVariantTable => {
      const k = variantKey(experimentId, version);
      let v = variants.get(k);
      // A variant that signals without having been declared (its start was not recorded): counted all the same.
      if (!v) { v = { experiment_id: experimentId, version, ordinal: 1000, share: 0, role: 'challenger', signals: 0, traded: 0, stats: null }; variants.set(k, v); }
      touched.variants.add(k);
      return v;
    };
    for (const { event: e } of events) apply(e);

    function apply(e: DomainEvent): void {
      switch (e.type) {
        case 'ModelTrained': {
          const d = e.data;
          const f = family(d.family, d.ts);
          f.instrument = d.instrument; f.timeframe = d.timeframe;
          const prev = models.get(d.version);
          models.set(d.version, {
            version: d.version, family: d.family, number: Number(d.version.slice(d.version.lastIndexOf('@') + 1)), kind: d.kind,
            instrument: d.instrument, timeframe: d.timeframe, metrics: d.metrics, params: d.params, feature_spec_hash: d.featureSpecHash,
            data_from: d.dataRange.from, data_to: d.dataRange.to, data_bars: d.dataRange.bars, code_version: d.codeVersion, seed: d.seed,
            trained_at: d.ts, promoted_at: prev?.promoted_at ?? null, retired_at: prev?.retired_at ?? null, retire_reason: prev?.retire_reason ?? null,
          });
          touched.models.add(d.version);
          break;
        }
        case 'ModelPromoted': {
          family(e.data.family, e.data.ts).champion = e.data.version;
          const m = model(e.data.version);
          if (m) m.promoted_at = e.data.ts;
          break;
        }
        case 'ModelRetired': {
          const f = family(e.data.family, e.data.ts);
          // Retiring the champion leaves the family without one until the next promotion (core's evolveModel).
          if (f.champion === e.data.version) f.champion = null;
          const m = model(e.data.version);
          if (m) { m.retired_at = e.data.ts; m.retire_reason = e.data.reason; }
          break;
        }
        case 'ExperimentStarted': {
          const d = e.data;
          exps.set(d.experimentId, {
            experiment_id: d.experimentId, family: d.family, mode: d.mode, champion: d.champion, status: 'running', started_at: d.ts,
            concluded_at: null, decision: null, winner: null, p_value: null, updated_at: d.ts,
          });
          touched.exps.add(d.experimentId);
          d.variants.forEach((x, i) => {
            const v = variant(d.experimentId, x.version);
            v.ordinal = i; v.share = x.share; v.role = x.version === d.champion ? 'champion' : 'challenger';
          });
          break;
        }
        case 'ExperimentSignalRecorded': {
          const v = variant(e.data.experimentId, e.data.version);
          v.signals = Number(v.signals) + 1;
          if (e.data.traded) v.traded = Number(v.traded) + 1;
          break;
        }
        case 'ExperimentConcluded': {
          const d = e.data;
          let x = exps.get(d.experimentId);
          if (!x) {
            x = { experiment_id: d.experimentId, family: d.family, mode: 'split', champion: '', status: 'running', started_at: d.ts, concluded_at: null, decision: null, winner: null, p_value: null, updated_at: d.ts };
            exps.set(d.experimentId, x);
          }
          Object.assign(x, { status: 'concluded', concluded_at: d.ts, decision: d.decision, winner: d.winner ?? null, p_value: d.pValue });
          x.updated_at = Math.max(Number(x.updated_at), d.ts);
          touched.exps.add(d.experimentId);
          for (const [version, stats] of Object.entries(d.stats)) variant(d.experimentId, version).stats = stats;
          break;
        }
        default: break;
      }
    }

    await upsert(trx, 'model_families', ['family'], [...touched.fams].map((k) => fams.get(k)!));
    await upsert(trx, 'models', ['version'], [...touched.models].map((k) => {
      const m = models.get(k)!;
      return { ...m, metrics: json(m.metrics), params: json(m.params) };
    }));
    await upsert(trx, 'experiments', ['experiment_id'], [...touched.exps].map((k) => exps.get(k)!));
    await upsert(trx, 'experiment_variants', ['experiment_id', 'version'], [...touched.variants].map((k) => {
      const v = variants.get(k)!;
      return { ...v, stats: json(v.stats) };
    }));
  },
});
