// NDJSON from a child's stdout (the daemon's pino log, the e2e writer's reports), which arrives
// in chunks that split lines anywhere.

/** Returns a 'data' handler that passes each parsed line to `onObject` and any other line to `onOther`. */
export function jsonLines(onObject: (o: Record<string, unknown>) => void, onOther: (line: string) => void): (chunk: string) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        onOther(line);
        continue;
      }
      if (parsed !== null && typeof parsed === 'object') onObject(parsed as Record<string, unknown>);
      else onOther(line);
    }
  };
}
