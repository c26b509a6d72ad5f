import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: one file at a time keeps the audio tests from starving each other.
    fileParallelism: false,
    pool: 'forks',
    // The tests share a loaded machine and start sets on purpose: live-set admission control (whose event-loop check
    // would refuse sets there) is tested on its own, in bot-admission.test.ts, with its own settings.
    env: { MINIDJ_MAX_LIVE_SETS: '1000', MINIDJ_MAX_LOOP_LAG_MS: '1000000' },
  },
});
