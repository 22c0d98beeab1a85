// Prints one plain closing line ("Tests: N passed, N failed, N skipped") that CI reads, and before it
// one line naming the browser test files when they were skipped for want of a browser, with how to
// enable them (test/helpers/browser.ts).
import { relative } from "node:path";
import type { Reporter, TestModule } from "vitest/node";
import { BROWSER_TEST_FILES, browserSkipLine } from "../helpers/browser.ts";

const REPO_ROOT = new URL("../..", import.meta.url).pathname;

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const browserSkipped: string[] = [];
    for (const module of testModules) {
      const tests = [...module.children.allTests()];
      let moduleSkipped = 0;
      let moduleFailed = 0;
      for (const test of tests) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") moduleFailed++;
        else {
          skipped++;
          moduleSkipped++;
        }
      }
      // A file that failed outside its tests (an import, a beforeAll) counts as one failure.
      failed += module.state() === "failed" && moduleFailed === 0 ? 1 : moduleFailed;
      const file = relative(REPO_ROOT, module.moduleId);
      const allSkipped = tests.length > 0 && moduleSkipped === tests.length;
      if (BROWSER_TEST_FILES.includes(file) && allSkipped && module.state() !== "failed") {
        browserSkipped.push(file);
      }
    }
    const skipLine = browserSkipped.length > 0 ? browserSkipLine(browserSkipped) : undefined;
    if (skipLine) process.stdout.write(`\n${skipLine}\n`);
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
