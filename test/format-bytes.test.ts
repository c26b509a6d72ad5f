import { describe, expect, it } from 'vitest';
import { audioLimitsFromEnv } from '../src/audio/io/limits.ts';
import { formatSize } from '../src/ingest/download-error.ts';
import { formatBytes } from '../src/util/format-bytes.ts';

describe('formatBytes', () => {
  it.each([
    [100e6, '100 MB'],
    [101 * 1024 * 1024, '105.9 MB'],
    [529_278, '0.5 MB'],
    [100_000, '0.1 MB'],
    [99_999, '100 kB'],
    [2_000, '2 kB'],
    [1_000, '1 kB'],
    [999, '999 bytes'],
    [1, '1 byte'],
    [0, '0 bytes'],
  ])('%d bytes is "%s"', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('says the limit as it was set: MINIDJ_MAX_MB=100 is 100 MB to the downloader too', () => {
    const { maxBytes } = audioLimitsFromEnv({ MINIDJ_MAX_MB: '100' });
    expect(formatBytes(maxBytes)).toBe('100 MB');
    expect(formatSize(maxBytes)).toBe('100 MB');
  });
});
