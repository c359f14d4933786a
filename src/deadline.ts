import type { Deadline } from './types/deadline.js';

export function deadlineAfter(totalMs: number, now: () => number): Deadline {
  const at = now() + totalMs;
  return { totalMs, remainingMs: () => Math.max(0, at - now()) };
}

/** A deadline that ends `marginMs` before `parent`: what is left of the parent after a piece of work is held back. */
export function deadlineBefore(parent: Deadline, marginMs: number): Deadline {
  return { totalMs: Math.max(0, parent.remainingMs() - marginMs), remainingMs: () => Math.max(0, parent.remainingMs() - marginMs) };
}
