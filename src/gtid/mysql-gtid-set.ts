/**
 * MySQL GTID sets in text form, parsed, subtracted and written back in TypeScript, so that the
 * errant-transaction rule needs no round trip to either server (GTID_SUBTRACT runs on one server
 * and would need the other's set sent to it).
 *
 * Syntax (MySQL reference manual, "GTID Format and Storage"; tags since 8.3):
 *   gtid_set  := '' | uuid_set [',' uuid_set]...
 *   uuid_set  := uuid (':' interval | ':' tag)...      each interval belongs to the tag before it
 *   interval  := n | n '-' m                            1 <= n <= m < 2^63
 *   tag       := [a-z_][a-z0-9_]{0,31}, case-insensitive
 * The server writes `3e11fa47-...:1-3:15-21:domain_1:1-3` (lower-case, untagged intervals first,
 * one uuid_set per UUID, ",\n" between them); input may repeat a UUID or use upper case.
 * Sequence numbers reach 2^63 - 1, past Number's exact range: they are bigints here.
 */

export interface Interval {
  readonly start: bigint;
  readonly end: bigint;
}

/** "uuid" or "uuid:tag" -> its intervals, sorted, disjoint and not adjacent. */
export type GtidSet = ReadonlyMap<string, readonly Interval[]>;

export class GtidSetSyntaxError extends Error {}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/;
const TAG = /^[a-z_][a-z0-9_]{0,31}$/;
const INTERVAL = /^(\d{1,19})(?:-(\d{1,19}))?$/;
const MAX_GNO = (1n << 63n) - 1n;

/** The canonical 8-4-4-4-12 form (MySQL also accepts the UUID without dashes). */
function canonicalUuid(text: string): string {
  const hex = text.replace(/-/g, '');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function parseGtidSet(text: string): GtidSet {
  const raw = new Map<string, Interval[]>();
  const trimmed = text.trim();
  if (trimmed === '') return raw;
  for (const part of trimmed.split(',')) {
    const words = part.trim().toLowerCase().split(':');
    const uuid = words[0]!;
    if (!UUID.test(uuid)) throw new GtidSetSyntaxError(`not a GTID set: ${JSON.stringify(uuid)} is not a UUID`);
    if (words.length < 2) throw new GtidSetSyntaxError(`not a GTID set: ${uuid} has no interval`);
    let tsid = canonicalUuid(uuid);
    let sawInterval = false;
    for (const word of words.slice(1)) {
      const m = INTERVAL.exec(word.trim());
      if (m) {
        const start = BigInt(m[1]!);
        const end = m[2] === undefined ? start : BigInt(m[2]);
        if (start < 1n || end < start || end > MAX_GNO) throw new GtidSetSyntaxError(`not a GTID set: bad interval ${word} of ${uuid}`);
        raw.set(tsid, [...(raw.get(tsid) ?? []), { start, end }]);
        sawInterval = true;
      } else if (TAG.test(word.trim())) {
        if (!sawInterval && tsid !== canonicalUuid(uuid)) throw new GtidSetSyntaxError(`not a GTID set: tag ${tsid} has no interval`);
        tsid = `${canonicalUuid(uuid)}:${word.trim()}`;
        sawInterval = false;
      } else {
        throw new GtidSetSyntaxError(`not a GTID set: ${JSON.stringify(word)} in ${uuid} is neither an interval nor a tag`);
      }
    }
    if (!sawInterval) throw new GtidSetSyntaxError(`not a GTID set: ${tsid} has no interval`);
  }
  return new Map([...raw].map(([tsid, intervals]) => [tsid, normalise(intervals)]));
}

/** Sorted, overlapping and adjacent intervals merged (1-3:4-5 is 1-5, as MySQL writes it). */
function normalise(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out.at(-1);
    if (last && i.start <= last.end + 1n) out[out.length - 1] = { start: last.start, end: i.end > last.end ? i.end : last.end };
    else out.push(i);
  }
  return out;
}

/** The GTIDs of `set` that are not in `minus` (GTID_SUBTRACT(set, minus)). */
export function subtractGtidSets(set: GtidSet, minus: GtidSet): GtidSet {
  const out = new Map<string, Interval[]>();
  for (const [tsid, intervals] of set) {
    let left = [...intervals];
    for (const cut of minus.get(tsid) ?? []) left = left.flatMap((i) => cutOut(i, cut));
    if (left.length > 0) out.set(tsid, left);
  }
  return out;
}

function cutOut(i: Interval, cut: Interval): Interval[] {
  if (cut.end < i.start || cut.start > i.end) return [i];
  const pieces: Interval[] = [];
  if (cut.start > i.start) pieces.push({ start: i.start, end: cut.start - 1n });
  if (cut.end < i.end) pieces.push({ start: cut.end + 1n, end: i.end });
  return pieces;
}

/** How many GTIDs the set holds. */
export function countGtids(set: GtidSet): bigint {
  let n = 0n;
  for (const intervals of set.values()) for (const i of intervals) n += i.end - i.start + 1n;
  return n;
}

const intervalText = (i: Interval): string => (i.start === i.end ? `${i.start}` : `${i.start}-${i.end}`);

/** As the server writes it, but with ',' alone between UUIDs (one line): untagged first, then tags in order. */
export function formatGtidSet(set: GtidSet): string {
  const byUuid = new Map<string, { tag: string; intervals: readonly Interval[] }[]>();
  for (const [tsid, intervals] of set) {
    const [uuid, tag = ''] = tsid.split(':') as [string, string?];
    byUuid.set(uuid, [...(byUuid.get(uuid) ?? []), { tag, intervals }]);
  }
  return [...byUuid.keys()]
    .sort()
    .map((uuid) => {
      const groups = byUuid.get(uuid)!.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
      return [uuid, ...groups.flatMap((g) => [...(g.tag ? [g.tag] : []), ...g.intervals.map(intervalText)])].join(':');
    })
    .join(',');
}
