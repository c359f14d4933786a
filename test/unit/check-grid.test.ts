import { describe, expect, it } from 'vitest';
import { delayToNextSlot } from '../../src/daemon/check-grid.js';

describe('delayToNextSlot: checks at the multiples of the interval', () => {
  it.each([
    // [what, now, last check began, interval, delay]
    ['after a check of 300 ms begun on its slot: the next slot, not 1 s after the end', 300, 0, 1000, 700],
    ['a check that ended at once, on its slot', 1000, 1000, 1000, 1000],
    ['a check begun 3 ms before its slot (an early timer) is not followed by another in that slot', 998, 997, 1000, 1002],
    ['after a check out of turn well before a slot: that slot', 1700, 1700, 1000, 300],
    ['after a check out of turn just before a slot: the one after (never two within a quarter interval)', 1800, 1800, 1000, 1200],
    ['after a check that ran past its slot: the next slot', 2300, 0, 1000, 700],
    ['the first check (nothing before it)', 420, -Infinity, 1000, 580],
    ['another interval: its own multiples', 1300, 1000, 500, 200],
  ])('%s', (_what, now, last, interval, delay) => {
    expect(delayToNextSlot(now, last, interval)).toBeCloseTo(delay, 6);
  });

  it('always a slot ahead, at least a quarter interval after the last start, at most an interval and a quarter away', () => {
    for (let i = 0; i < 2000; i++) {
      const interval = [100, 250, 1000, 1500, 3000][i % 5]!;
      const last = Math.random() * 100_000;
      const now = last + Math.random() * interval * 0.9;
      const delay = delayToNextSlot(now, last, interval);
      expect(delay).toBeGreaterThan(0);
      const at = now + delay;
      expect(at - last).toBeGreaterThanOrEqual(interval * 0.25 - 1e-6);
      expect(delay).toBeLessThanOrEqual(interval * 1.25 + 1e-6);
      expect(Math.abs(at / interval - Math.round(at / interval))).toBeLessThan(1e-6);
    }
  });
});
