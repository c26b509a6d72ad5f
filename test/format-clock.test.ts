import { describe, expect, it } from 'vitest';
import { formatClock, formatDuration } from '../src/util/format-clock.ts';

describe('formatClock and formatDuration', () => {
  it('round to whole seconds before splitting minutes, so no clock reads :60', () => {
    expect([0, 7.4, 59.6, 187, 3700].map(formatClock)).toEqual(['0:00', '0:07', '1:00', '3:07', '61:40']);
    expect(formatClock(-3)).toBe('0:00');
  });

  it('give hours only from an hour up, with minutes padded', () => {
    expect([187, 3599.4, 3599.6, 3700, 36_000].map(formatDuration)).toEqual([
      '3:07',
      '59:59',
      '1:00:00',
      '1:01:40',
      '10:00:00',
    ]);
  });
});
