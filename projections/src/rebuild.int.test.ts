// Rebuild equality on the Postgres server: event store and read models in a fresh schema per run.
import { rebuildContract } from './rebuild.contract.ts';
import { PG_URL } from './testing.ts';

rebuildContract('Postgres', () => ({ postgres: { url: PG_URL, schema: `rebuild_${process.pid}_${Date.now()}` } }));
