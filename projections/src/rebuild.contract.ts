// Rebuild equals live: replaying the store into dropped tables gives the rows the live projector wrote.
import { describe, expect, it } from 'vitest';
import type { StackOptions } from './stack.ts';
import { startReadSide } from './stack.ts';
import { eventually, tradingHistory } from './testing.ts';

export function rebuildContract(name: string, options: () => StackOptions): void {
  describe(`rebuild on ${name}`, () => {
    it('each projection rebuilt from the event store equals the live one, table by table', async () => {
      const s = await startReadSide({ ...options(), projector: { batchSize: 16 } });
      try {
        const events = tradingHistory(7).map((h) => h.event);
        await s.append(events.slice(0, 200));
        await s.append(events.slice(200));
        let last = 0n;
        for await (const e of s.store.readAll()) last = e.position;
        await eventually(async () => {
          const cps = await s.projector.checkpoints();
          expect(Object.values(cps).every((p) => p === last)).toBe(true);
        }, 30_000);
        await s.running.close();
        const live = await s.projector.tableHashes();
        expect(Object.values(live).filter((h) => h.startsWith('0:'))).toEqual([]);
        for (const p of s.projector.projections) {
          const replayed = await s.projector.rebuild(p.name, s.store);
          expect(replayed).toBe(events.length);
          expect(await s.projector.tableHashes(p.name), p.name).toEqual(Object.fromEntries(Object.keys(p.tables).map((t) => [t, live[t]])));
        }
        expect((await s.projector.checkpoints()).orders).toBe(last);
      } finally {
        await s.close();
      }
    });
  });
}
