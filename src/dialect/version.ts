/**
 * Server versions and the features that arrived with one. Each gate is named for what it
 * enables, so a reader sees why a version matters and every comparison goes through atLeast().
 */
export type VersionTuple = readonly [major: number, minor: number, patch: number];

/** MySQL 8.0.22: SHOW REPLICA STATUS and the Source_* and Replica_* column names (8.4 removed SHOW SLAVE STATUS). */
export const MYSQL_REPLICA_STATUS: VersionTuple = [8, 0, 22];
/** MySQL 8.0.22 too: START / STOP REPLICA (STOP SLAVE is deprecated from there on, and gone in 8.4's docs). */
export const MYSQL_REPLICA_STATEMENTS: VersionTuple = MYSQL_REPLICA_STATUS;
/** MySQL 8.0.26: SOURCE_POS_WAIT() (MASTER_POS_WAIT() is deprecated from there on). */
export const MYSQL_SOURCE_POS_WAIT: VersionTuple = [8, 0, 26];

/** [major, minor, patch] of a version string such as "8.0.36-28" or "10.11.6-MariaDB-log"; [0, 0, 0] if unreadable. */
export function versionTuple(version: string): VersionTuple {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
}

/** Whether `version` is `minimum` or later. */
export function atLeast(version: string, minimum: VersionTuple): boolean {
  const have = versionTuple(version);
  for (let i = 0; i < 3; i++) if (have[i] !== minimum[i]) return have[i]! > minimum[i]!;
  return true;
}
