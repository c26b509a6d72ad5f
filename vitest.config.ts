import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: one file at a time keeps the audio tests from starving each other.
    fileParallelism: false,
    pool: 'forks',
  },
});
