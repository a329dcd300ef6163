import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The default reporter for people; the summary line for CI (.ci/run), which reads
    // "N passed, N failed".
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 30_000,
  },
})
