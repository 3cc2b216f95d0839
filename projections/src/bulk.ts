// Multi-row writes as one statement with one array parameter per column (unnest): thousands of rows, a dozen parameters.
import { sql, type RawBuilder } from 'kysely';
import type { ReadTx } from './db.ts';

export type ColumnType = 'text' | 'bigint' | 'numeric' | 'jsonb' | 'boolean' | 'integer';

/**
 * insert into <table> (<cols>) select * from unnest(<arrays>) <onConflict>.
 * node-postgres binds each parameter separately; 1,000 rows x 13 columns as 13 arrays is several times
 * faster than 13,000 scalars. Rows must not repeat a conflict key (dedupe first, as for any upsert).
 */
export async function insertRows(
  trx: ReadTx, table: string, columns: Readonly<Record<string, ColumnType>>, rows: readonly Record<string, unknown>[], onConflict: RawBuilder<unknown> = sql``,
): Promise<void> {
  if (rows.length === 0) return;
  const names = Object.keys(columns);
  const arrays = names.map((c) => {
    const t = columns[c]!;
    // jsonb arrays travel as text[] (a JSON text per row) and are cast per element.
    const values = rows.map((r) => {
      const v = r[c];
      if (v === null || v === undefined) return null;
      if (t === 'jsonb') return typeof v === 'string' ? v : JSON.stringify(v);
      return typeof v === 'bigint' ? v.toString() : v;
    });
    return t === 'jsonb' ? sql`${values}::text[]` : sql`${values}::${sql.raw(t)}[]`;
  });
  const selectList = names.map((c) => (columns[c] === 'jsonb' ? sql`${sql.ref(c)}::jsonb` : sql.ref(c)));
  await sql`insert into ${sql.table(table)} (${sql.join(names.map((c) => sql.ref(c)))})
    select ${sql.join(selectList)} from unnest(${sql.join(arrays)}) as u(${sql.join(names.map((c) => sql.ref(c)))})
    ${onConflict}`.execute(trx);
}
