// `npm test`'s audit line: production dependencies (npm audit --omit=dev) against the advisory database.
// Reported, never failing the build: the audit needs the registry's advisory endpoint, which an offline or
// proxied CI machine may not reach; then the line says it was not checked, so a silent pass is impossible.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');
const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
let report = null;
try { report = JSON.parse(run.stdout); } catch { /* no JSON: npm failed before answering */ }
const counts = report?.metadata?.vulnerabilities;
if (counts) {
  const levels = ['critical', 'high', 'moderate', 'low', 'info'];
  const total = levels.reduce((n, l) => n + (counts[l] ?? 0), 0);
  const names = Object.entries(report.vulnerabilities ?? {}).filter(([, v]) => ['critical', 'high'].includes(v.severity)).map(([name, v]) => `${name} (${v.severity})`);
  console.log(`audit: ${total} known vulnerabilities in production dependencies (${levels.map((l) => `${l} ${counts[l] ?? 0}`).join(', ')})${names.length ? `: ${names.join(', ')}` : ''}`);
} else {
  const why = run.error?.message ?? report?.message ?? report?.error?.summary ?? (run.stderr || 'no answer').split('\n').find((l) => l.trim()) ?? 'no answer';
  console.log(`audit: NOT CHECKED, the advisory database did not answer (${String(why).slice(0, 160)})`);
}
