// Ends the run with one plain line, `N passed, N failed, N skipped`, that any CI can read. It is written
// when the process exits, after jest's own summary, so that it is the last line of the output.
// A suite that could not even load counts as a failure: it hides tests that never ran.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `\n${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`;
    process.once('exit', () => process.stdout.write(line));
  }
}
module.exports = SummaryReporter;
