// The projection suite on the real Postgres server at PG_URL.
import { projectorContract } from './projector.contract.ts';
import { postgresTestDb } from './testing.ts';

projectorContract('Postgres', () => postgresTestDb());
