// The kysely database factories: schema placement, LISTEN/NOTIFY and close, on a Postgres server and on PGlite.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/index.ts';
import { createPgliteDb, createPostgresDb, type PgDatabase } from './database.ts';

const PG_URL = process.env.PG_URL ?? 'postgres://qts:qts@127.0.0.1:55432/qts';
const schemas: string[] = [];

afterAll(async () => {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const s of schemas) await client.query(`drop schema if exists "${s}" cascade`);
  await client.end();
});

const factories: readonly { name: string; open: (schema?: string) => Promise<PgDatabase> }[] = [
  { name: 'Postgres server', open: (schema) => createPostgresDb(PG_URL, schema ? { schema } : {}) },
  { name: 'PGlite', open: (schema) => createPgliteDb('memory://', schema ? { schema } : {}) },
];

for (const f of factories) {
  describe(`database: ${f.name}`, () => {
    it('creates the schema and puts unqualified tables in it, on every connection', async () => {
      const schema = `db_test_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
      schemas.push(schema);
      const database = await f.open(schema);
      try {
        await sql`create table candles (id int primary key)`.execute(database.db);
        // Several statements at once take several pool connections on a server: each must see the schema.
        await Promise.all([1, 2, 3, 4].map((id) => sql`insert into candles values (${id})`.execute(database.db)));
        const placed = await sql<{ table_schema: string }>`select table_schema from information_schema.tables where table_name = 'candles' and table_schema = ${schema}`.execute(database.db);
        expect(placed.rows).toEqual([{ table_schema: schema }]);
        const count = await sql<{ n: number }>`select count(*)::int as n from ${sql.id(schema, 'candles')}`.execute(database.db);
        expect(count.rows[0]!.n).toBe(4);
      } finally {
        await database.close();
      }
    });

    it('delivers a NOTIFY to its listener after the transaction commits, and stops after unlisten', async () => {
      const database = await f.open();
      const channel = `qts_db_test_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
      const payloads: string[] = [];
      try {
        const unlisten = await database.listen(channel, (p) => payloads.push(p));
        await database.db.transaction().execute(async (trx) => {
          await sql`select pg_notify(${channel}, 'bar-closed')`.execute(trx);
          expect(payloads).toEqual([]);
        });
        await eventually(() => expect(payloads).toEqual(['bar-closed']));
        await unlisten();
        await sql`select pg_notify(${channel}, 'ignored')`.execute(database.db);
        await sql`select pg_notify(${channel}, 'ignored')`.execute(database.db);
        await new Promise((r) => setTimeout(r, 100));
        expect(payloads).toEqual(['bar-closed']);
      } finally {
        await database.close();
      }
    });
  });
}
