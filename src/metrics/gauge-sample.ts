/**
 * A gauge reading, before the target's own labels are added. Building these is pure, so what we
 * export for a report can be decided (and tested) without a registry.
 */
export type LabelValues = Readonly<Record<string, string>>;

export interface GaugeSpec {
  readonly name: string;
  readonly help: string;
  /** The metric's own labels, after `target` and the configured extra labels. */
  readonly labelNames: readonly string[];
}

export interface GaugeSample {
  readonly name: string;
  readonly labels: LabelValues;
  readonly value: number;
}

export const bit = (on: boolean): number => (on ? 1 : 0);
