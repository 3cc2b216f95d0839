// Sums the vitest JSON reports of every workspace into one closing line: "N passed, N failed".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, "../../var/test-results");
if (!existsSync(dir)) {
  console.log("tests: 0 passed, 0 failed (no test report was written)");
  process.exit(1);
}
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  console.log(`${file.replace('.json', '').padEnd(12)} ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
  for (const suite of report.testResults ?? []) {
    for (const test of suite.assertionResults ?? []) {
      if (test.status !== 'failed') continue;
      // The first line of the first failure: enough to find the test when only the log's tail survives.
      const reason = String(test.failureMessages?.[0] ?? '').split('\n')[0].slice(0, 300);
      failures.push(`  ${suite.name.replace(/^.*?\/(src|test)\//, '$1/')} > ${test.fullName}\n    ${reason}`);
    }
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failures.push(`  ${suite.name}: ${String(suite.message).split('\n')[0]}`);
  }
}
if (failures.length > 0) console.log(`failed:\n${failures.join('\n')}`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 || skipped > 0 ? 1 : 0);
