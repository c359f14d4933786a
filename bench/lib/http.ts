/** Plain HTTP GETs against loopback, for scrapes and for waiting on a listener. */
import { request } from 'node:http';
import { pct, sleep } from './proc.js';

export interface Answer {
  readonly ms: number;
  readonly status: number;
  readonly body: string;
}

export function get(port: number, path: string, timeoutMs: number): Promise<Answer> {
  const t0 = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ ms: ms(), status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ms: ms(), status: 0, body: '' }));
    req.end();
  });
}

export async function waitHttp(port: number, path = '/metrics', isUp: () => boolean = () => true): Promise<void> {
  for (let i = 0; i < 200 && isUp(); i++) {
    if ((await get(port, path, 1000)).status === 200) return;
    await sleep(50);
  }
  throw new Error(`nothing answered on port ${port}`);
}

export async function scrapeLatency(port: number, n: number, timeoutMs: number): Promise<string> {
  const ms: number[] = [];
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const r = await get(port, '/metrics', timeoutMs);
    ms.push(r.ms);
    if (r.status !== 200) failed++;
  }
  return `p50 ${pct(ms, 0.5).toFixed(2)} ms, p99 ${pct(ms, 0.99).toFixed(2)} ms${failed ? `, ${failed}/${n} failed or timed out` : ''}`;
}

/** The sum of a counter's series in a Prometheus text exposition, optionally only those whose labels include `having`. */
export function counterSum(exposition: string, name: string, having = ''): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (having && !line.includes(having)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
