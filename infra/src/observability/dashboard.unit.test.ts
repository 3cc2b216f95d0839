// The shipped Grafana dashboard only queries series the system exports, so no panel stays empty after a rename.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SystemMetrics } from './metrics.ts';

const dashboard = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../grafana/qts-dashboard.json'), 'utf8')) as {
  panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
  templating: { list: { name: string; type: string }[] };
};
/** Served by the API's own HTTP middleware (adapters), into the same registry. */
const apiMetrics = ['qts_http_request_duration_seconds'];

describe('Grafana dashboard', () => {
  it('queries only metrics the registry exports (histograms by their _bucket series)', async () => {
    const exported = new Set([...(await new SystemMetrics().registry.getMetricsAsJSON()).map((m) => m.name), ...apiMetrics]);
    const queried = new Set<string>();
    for (const p of dashboard.panels) for (const t of p.targets ?? []) for (const m of t.expr.matchAll(/\b((?:qts|process|nodejs)_[a-z0-9_]+)\{/g)) queried.add(m[1]!.replace(/_bucket$/, ''));
    expect(queried.size).toBeGreaterThan(15);
    expect([...queried].filter((name) => !exported.has(name))).toEqual([]);
  });

  it('takes its Prometheus data source from a variable on every panel', () => {
    expect(dashboard.templating.list.find((v) => v.type === 'datasource')?.name).toBe('datasource');
    const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(queryPanels.every((p) => p.datasource?.uid === '${datasource}')).toBe(true);
  });
});
