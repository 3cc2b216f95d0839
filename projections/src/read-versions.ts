// A version per read model, moved by the projector's commits, and which read models each API route reads: the API's cache keys.

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
