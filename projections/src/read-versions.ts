// A version per read model, moved by the projector's commits (in process, or by NOTIFY from another), and which read models each API route reads.
import { sql } from 'kysely';
import type { PgDatabase, Unlisten } from '@qts/adapters';
import type { ReadDb, ReadTx } from './db.ts';

/** The channel projectors notify on; the payload is '<schema>:<read model>,<read model>...'. */
export const READ_MODELS_CHANNEL = 'qts_read_models';

/** The read models (projection names, and 'dead_letters') behind each cached API route. */
export const routeReadModels: Readonly<Record<string, readonly string[]>> = {
  '/instruments': ['instruments'],
  '/bars': ['bars'],
  '/signals': ['signals'],
  '/orders': ['orders'],
  '/orders/:clientOrderId': ['orders'],
  '/positions': ['positions'],
  '/pnl': ['positions'],
  '/equity/:account': ['positions'],
  '/strategies': ['strategies'],
  '/strategies/:strategyId': ['strategies'],
  '/risk': ['risk'],
  '/dead-letters': ['dead_letters'],
  '/models': ['models'],
  '/models/:family': ['models'],
  '/experiments': ['models'],
};

/**
 * Monotone counters: `of(route)` moves whenever a read model behind the route changed. A route not in
 * the table moves with every change; `invalidateAll` moves every route (a lost notification).
 */
export class ReadVersions {
  private readonly byModel = new Map<string, number>();
  private any = 0;
  private epoch = 0;

  changed(models: Iterable<string>): void {
    for (const m of models) this.byModel.set(m, (this.byModel.get(m) ?? 0) + 1);
    this.any++;
  }

  invalidateAll(): void {
    this.epoch++;
  }

  of(route: string): number {
    const models = routeReadModels[route];
    if (models === undefined) return this.epoch + this.any;
    let v = this.epoch;
    for (const m of models) v += this.byModel.get(m) ?? 0;
    return v;
  }
}

/** Inside the caller's transaction: delivered to listeners when (and only if) it commits. */
export async function notifyReadModels(db: ReadDb | ReadTx, models: readonly string[]): Promise<void> {
  await sql`select pg_notify(${READ_MODELS_CHANNEL}, current_schema() || ':' || ${models.join(',')})`.execute(db);
}

/**
 * An API in another process than the projector: its cache follows the projector's NOTIFYs for this
 * schema. When the LISTEN connection is replaced (notifications in between are lost), every answer is dropped.
 */
export async function listenReadModels(database: PgDatabase, db: ReadDb, versions: ReadVersions): Promise<Unlisten> {
  const { rows } = await sql<{ s: string }>`select current_schema() as s`.execute(db);
  const mine = `${rows[0]!.s}:`;
  return database.listen(READ_MODELS_CHANNEL, (payload) => {
    if (payload === '') versions.invalidateAll();
    else if (payload.startsWith(mine)) versions.changed(payload.slice(mine.length).split(','));
  });
}
