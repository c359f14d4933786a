/**
 * Everything a server can make us hold, parse and print, bounded in one place (STYLE.md item 15).
 * A server may be hostile or broken: before these caps, 100,000 replication channels made a
 * one-shot with --timeout 0.9 end after 2.2 s and judge it healthy, and one 8 MB Master_Host made
 * a 58 MB /metrics. Each figure is above what a real server sends and says why.
 */

/**
 * Replication channels read from one server; more is refused (`too-many-channels`), never judged.
 * MariaDB sizes its table of master connections for 64 (MAX_REPLICATION_THREAD in sql/slave.h);
 * MySQL allows up to 256 channels, but a node in a keepalived pair replicates from its peer and
 * perhaps a few feeds, not from dozens. 64 channels are 448 series per target in /metrics.
 */
export const MAX_CHANNELS = 64;

/** Rows the driver reads in one result set: no probe legitimately reads more than one per channel. */
export const MAX_ROWS = MAX_CHANNELS;

/** Columns in one result set: SHOW REPLICA STATUS has about 60; new versions add a few. */
export const MAX_COLUMNS = 512;

/** Bytes the driver reads for a connection handshake: a greeting and an auth exchange fit in 1 KiB. */
export const MAX_HANDSHAKE_BYTES = 64 * 1024;

/**
 * Bytes the driver reads for one answer (a statement, or the daemon's whole round trip): room for
 * 64 channels of maximal fields (two 64 KiB GTID sets each), and for text that is read in full
 * before it is cut (an 8 MB Master_Host), while the memory stays bounded.
 */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/**
 * GTID sets kept from one answer, all channels together, so that 64 channels of maximal sets
 * (8 MiB) cannot fill the status file, rewritten every check. Two channels with 64 KiB sets each
 * fit; the other fields of 64 channels are at most 64 × 3.9 KiB by their own limits.
 */
export const MAX_ANSWER_GTID_BYTES = 256 * 1024;

/** UTF-8 bytes kept of each string a server sends, by what it is. */
export const TEXT_LIMITS = {
  /** Channel and connection names are at most 64 characters (4 bytes each in utf8mb4). */
  name: 256,
  /** A DNS name is at most 253 characters and ASCII; MySQL 8.0.17+ stores 255. */
  host: 255,
  /** A server UUID is 36 characters. */
  uuid: 64,
  /** Server error messages are at most 512 bytes (MYSQL_ERRMSG_SIZE). */
  error: 1024,
  /** File names are at most FN_REFLEN (512) bytes. */
  file: 512,
  /** GTID sets grow with every server that ever wrote (about 50 bytes each) and must stay whole to be waited for. */
  gtid: 64 * 1024,
  /** Versions (SERVER_VERSION_LENGTH is 60), version comments and thread states. */
  label: 255,
} as const;
