import { configDefaults, defineConfig } from 'vitest/config'

/**
 * Unit tests: no I/O beyond reading the repository (no chDB, no sockets, no child processes, no temp files).
 * test/utils/no-io.ts makes a socket or a child process fail there. Every other test file is an integration
 * test (real chDB, brokers, PostgreSQL, Chromium, files), so a new file lands there until it is listed here.
 */
const UNIT = [
  'common/test/duration.test.ts',
  'proto/test/codec.test.ts',
  'proto/test/batch.test.ts',
  'firmware-sim/test/manifest.test.ts',
  'firmware-sim/test/profiles.test.ts',
  'firmware-sim/test/profiles-firmware.test.ts',
  'firmware-sim/test/simulator.test.ts',
  'edge-gateway/test/batcher.test.ts',
  'edge-gateway/test/decode.test.ts',
  'edge-gateway/test/seq-tracker.test.ts',
  'loadtest/test/stats.test.ts',
  'cloud/test/unit.test.ts',
  'cloud/models/gbdt/test/kernels.test.ts',
  'test/architecture.test.ts',
  'test/compose.test.ts',
  'common/test/resource-stack.test.ts',
  'edge-gateway/test/sql-guard.test.ts',
  'firmware-sim/test/sensors.test.ts',
  'cloud/lake/test/models.unit.test.ts',
  'cli/test/wall-bound-clock.test.ts',
  'cloud/drift/test/detect.test.ts',
  'cloud/models/test/evaluate.test.ts',
  'cloud/models/test/gbdt.test.ts',
  'cloud/models/test/metrics.unit.test.ts',
  'cloud/models/test/labels.test.ts',
  'website/test/unit.test.ts',
  'cloud/models/gbdt/test/binning.test.ts',
  'cloud/live/test/live.unit.test.ts',
  'cloud/live/test/compare.unit.test.ts',
]

const exclude = [...configDefaults.exclude, 'data/**', 'reports/**']

export default defineConfig({
  test: {
    // Integration suites start real peers (chDB, aedes, Mosquitto, PostgreSQL): give them room.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // chDB binds one data directory per process, so every test file gets its own process.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    allowOnly: false,
    // `vitest run` runs both; `vitest run --project unit` (npm run test:unit) runs one.
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, exclude, setupFiles: ['test/utils/no-io.ts'] } },
      { extends: true, test: { name: 'integration', include: ['**/test/**/*.test.ts'], exclude: [...exclude, ...UNIT] } },
    ],
  },
})
