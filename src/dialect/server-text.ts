/**
 * Text a server sends, made safe to hold and print: cut to a limit in UTF-8 bytes and marked
 * where it was cut, with control characters replaced. What is printed goes to terminals, where
 * an escape sequence or a carriage return could rewrite what we said.
 */

/** C0 and C1 controls but tab and line feed (MySQL prints GTID sets over several lines). */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** The end of a string that was cut: "…[cut 7999745 bytes]". */
export const cutMark = (bytes: number): string => `…[cut ${bytes} bytes]`;

export interface Kept {
  /** The text, ending in cutMark() when it was cut. */
  readonly text: string;
  /** UTF-8 bytes kept, the mark not included. */
  readonly bytes: number;
  /** UTF-8 bytes dropped; 0 when the text was whole. */
  readonly cutBytes: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** At most `maxBytes` of `value`, never splitting a character. */
export function keepText(value: string, maxBytes: number): Kept {
  const clean = value.replace(CONTROL, '\uFFFD');
  // A UTF-16 unit is at most 3 bytes of UTF-8: most strings are known to fit without measuring.
  if (clean.length * 3 <= maxBytes) return { text: clean, bytes: Buffer.byteLength(clean), cutBytes: 0 };
  const total = Buffer.byteLength(clean);
  if (total <= maxBytes) return { text: clean, bytes: total, cutBytes: 0 };
  // encodeInto writes whole characters only; decoding them gives a string of its own, where
  // slice() would keep all 8 MB of the original alive for as long as the report is kept.
  const head = new Uint8Array(maxBytes);
  const { written } = encoder.encodeInto(clean, head);
  return { text: decoder.decode(head.subarray(0, written)) + cutMark(total - written), bytes: written, cutBytes: total - written };
}

/**
 * What is left to keep of one answer for the fields that share a budget (GTID sets): each has
 * its own limit, and all of them together this one.
 */
export class TextBudget {
  constructor(private left: number) {}

  keep(value: string, maxBytes: number): Kept {
    const kept = keepText(value, Math.min(maxBytes, this.left));
    this.left -= kept.bytes;
    return kept;
  }
}
