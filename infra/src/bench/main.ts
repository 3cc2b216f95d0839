// `npm run bench`: runs every benchmark and prints one table of measured figures against their targets.
export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

type Bench = { readonly name: string; readonly run: () => Promise<BenchRow[]> };
const benches: Bench[] = [];

const only = process.argv.slice(2);
const rows: BenchRow[] = [];
for (const b of benches.filter((x) => only.length === 0 || only.some((o) => x.name.includes(o)))) {
  console.error(`bench: ${b.name} ...`);
  rows.push(...(await b.run()));
}
console.table(rows.map((r) => ({ benchmark: r.name, value: Number(r.value.toPrecision(4)), unit: r.unit, target: r.target ?? '' })));
