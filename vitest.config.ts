import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['**/test/**/*.test.ts'],
    exclude: ['node_modules/**', 'data/**', 'reports/**'],
    // Integration suites start real peers (chDB, aedes, Mosquitto, PostgreSQL): give them room.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // chDB binds one data directory per process, so every test file gets its own process.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    allowOnly: false,
  },
})
