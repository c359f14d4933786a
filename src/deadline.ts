import type { Deadline } from './types/deadline.js';

export function deadlineAfter(totalMs: number, now: () => number): Deadline {
  const at = now() + totalMs;
  return { totalMs, remainingMs: () => Math.max(0, at - now()) };
}
