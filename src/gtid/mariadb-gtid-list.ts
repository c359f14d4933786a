/**
 * MariaDB GTID positions: comma-separated domain-server_id-seq_no triples, as in gtid_binlog_pos,
 * gtid_binlog_state, gtid_current_pos and gtid_slave_pos (MariaDB KB, "Global Transaction ID").
 * domain_id and server_id are 32-bit, seq_no 64-bit (a bigint here).
 */

export interface MariadbGtid {
  readonly domain: number;
  readonly serverId: number;
  readonly seq: bigint;
}

export class GtidListSyntaxError extends Error {}

const TRIPLE = /^(\d{1,10})-(\d{1,10})-(\d{1,20})$/;
const MAX_U32 = 2 ** 32 - 1;
const MAX_U64 = (1n << 64n) - 1n;

export function parseGtidList(text: string): MariadbGtid[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  return trimmed.split(',').map((word) => {
    const m = TRIPLE.exec(word.trim());
    if (!m) throw new GtidListSyntaxError(`not a MariaDB GTID: ${JSON.stringify(word.trim())} (domain-server_id-seq_no)`);
    const domain = Number(m[1]);
    const serverId = Number(m[2]);
    const seq = BigInt(m[3]!);
    if (domain > MAX_U32 || serverId > MAX_U32 || seq > MAX_U64) throw new GtidListSyntaxError(`not a MariaDB GTID: ${word.trim()} is out of range`);
    return { domain, serverId, seq };
  });
}

export const formatGtid = (g: MariadbGtid): string => `${g.domain}-${g.serverId}-${g.seq}`;
