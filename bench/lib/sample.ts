/**
 * CPU per unit of work (a check, an update, a scrape) of one process, over consecutive windows
 * read from /proc (every thread's schedstat, to the nanosecond): each window is one
 * observation, and the caller takes medians over windows from interleaved rounds, which rides
 * out a neighbour's burst on a shared machine.
 */
import { cpuMs, rssMiB, sleep } from './proc.js';

export interface SampleOptions {
  readonly windows: number;
  readonly windowMs: number;
  /** Units of work done so far (cumulative); read at each window boundary, just before the CPU. */
  readonly units: () => Promise<number>;
}

export interface Window {
  /** CPU ms per unit of work in this window. */
  readonly msPerUnit: number;
  /** Share of one core, in %. */
  readonly corePct: number;
}

export interface Sample {
  readonly windows: readonly Window[];
  readonly rssEnd: number;
}

export async function sampleCpu(pid: number, o: SampleOptions): Promise<Sample> {
  let units = await o.units();
  let cpu = cpuMs(pid);
  let at = process.hrtime.bigint();
  const windows: Window[] = [];
  for (let i = 0; i < o.windows; i++) {
    await sleep(o.windowMs);
    const u = await o.units();
    const c = cpuMs(pid);
    const now = process.hrtime.bigint();
    const done = u - units;
    if (done > 0) windows.push({ msPerUnit: (c - cpu) / done, corePct: ((c - cpu) / (Number(now - at) / 1e6)) * 100 });
    [units, cpu, at] = [u, c, now];
  }
  return { windows, rssEnd: rssMiB(pid) };
}
