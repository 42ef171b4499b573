// Ends the run with one plain line, `N passed, N failed, N skipped`, that any CI can read. It is written
// when the process exits, after jest's own summary, so that it is the last line of the output.
// A suite that could not even load counts as a failure: it hides tests that never ran.
// With FOXOPS_SUMMARY_FILE set (.ci/run sets it for `npm test` then `npm run test:e2e`), the counts are added to the
// ones already in that file, so the last line of the whole CI run counts both.
const { existsSync, readFileSync, writeFileSync } = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const counts = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
    };
    const file = process.env.FOXOPS_SUMMARY_FILE;
    if (file) {
      const before = existsSync(file) && readFileSync(file, 'utf8').trim() ? JSON.parse(readFileSync(file, 'utf8')) : {};
      for (const key of Object.keys(counts)) counts[key] += before[key] ?? 0;
      writeFileSync(file, JSON.stringify(counts));
    }
    const line = `\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`;
    process.once('exit', () => process.stdout.write(line));
  }
}
module.exports = SummaryReporter;
