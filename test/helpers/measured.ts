/** One line of a characterization suite's figures in the test output, easy to grep: "measured: ...". */
export function measured(what: string): void {
  console.log(`measured: ${what}`);
}
