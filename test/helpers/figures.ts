// Measured figures of an integration suite: each printed as it is taken, and all of them again
// at the end, so a slow machine shows up as numbers in the output rather than as a mystery.
export function figureLog(tag: string): { report(line: string): void; printAll(): void } {
  const lines: string[] = [];
  return {
    report(line) {
      lines.push(line);
      console.log(`[${tag}] ${line}`);
    },
    printAll() {
      if (lines.length > 0) console.log(`[${tag}] figures:\n  ${lines.join('\n  ')}`);
    },
  };
}
