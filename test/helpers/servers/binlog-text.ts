// A binlog file as `mariadb-binlog -v` prints it (row events decoded as `### INSERT INTO ...`):
// for finding out which transactions reached a binlog, whatever the server's tables say.
import { execFile } from 'node:child_process';
import { findExecutable } from '../executables.js';

/** Why the binlog cannot be read here, or undefined when it can. */
export function binlogReaderMissing(): string | undefined {
  return findExecutable('mariadb-binlog') ? undefined : 'mariadb-binlog not found (apt-get install mariadb-client)';
}

export interface BinlogText {
  /** What it printed, up to where it could read. */
  text: string;
  /** Its complaint when it could not read the file to the end (a torn event), else undefined. */
  error: string | undefined;
}

/** The decoded text of one binlog file (read as root from the test process). */
export function binlogText(file: string): Promise<BinlogText> {
  const reader = findExecutable('mariadb-binlog');
  if (!reader) throw new Error(binlogReaderMissing());
  return new Promise((resolve) => {
    execFile(reader, ['--base64-output=never', '-v', file], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ text: stdout, error: err ? stderr.trim().split('\n')[0] ?? err.message : undefined });
    });
  });
}
