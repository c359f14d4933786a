import { describe, expect, it } from 'vitest';
import { delayToNextSlot, phaseOf, TARGETS_PER_INSTANT } from '../../src/daemon/check-grid.js';

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

describe('phases: at most TARGETS_PER_INSTANT targets share an instant', () => {
  it.each([
    // [position in the config, interval, phase]
    [0, 1000, 0],
    [TARGETS_PER_INSTANT - 1, 1000, 0],
    [TARGETS_PER_INSTANT, 1000, 100],
    [2 * TARGETS_PER_INSTANT + 5, 1000, 200],
    [9 * TARGETS_PER_INSTANT, 1000, 900],
    // past ten groups, the phases start again (1,000 targets a second share them ten ways)
    [10 * TARGETS_PER_INSTANT, 1000, 0],
    [TARGETS_PER_INSTANT, 3000, 300],
  ])('position %i, interval %i ms: %i ms into the interval', (position, interval, phase) => {
    expect(phaseOf(position, interval)).toBe(phase);
  });

  it.each([
    // [what, now, last check began, interval, phase, delay]
    ['the next multiple plus the phase', 300, 100, 1000, 100, 800],
    ['an early timer (3 ms before its slot at 1100) gives no second check in that slot', 1098, 1097, 1000, 100, 1002],
    ['after a check out of turn just before the phase: the one after', 1050, 1050, 1000, 100, 1050],
  ])('%s', (_what, now, last, interval, phase, delay) => {
    expect(delayToNextSlot(now, last, interval, phase)).toBeCloseTo(delay, 6);
  });
});
