// A real Prometheus server (Debian's `prometheus`) on loopback, in its own temp dir (config and
// TSDB), scraping one target every second; its pid is tracked by the reaper. Asked through its
// HTTP API, as a user's dashboards and alerts would.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable } from '../executables.js';
import { freePort } from '../ports.js';
import { trackPid } from '../reaper.js';
import { ToolProcess } from './tool-process.js';

export const prometheusMissing = (): string | undefined => (findExecutable('prometheus') ? undefined : 'prometheus is not installed (apt-get install prometheus)');

export interface ScrapeTarget {
  readonly job: string;
  /** HOST:PORT */
  readonly address: string;
  readonly scheme: 'http' | 'https';
  readonly caFile?: string;
  readonly basicAuth?: { readonly username: string; readonly password: string };
}

export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

const jobLines = (target: ScrapeTarget): string[] => [
  `  - job_name: ${target.job}`,
  `    scheme: ${target.scheme}`,
  ...(target.caFile ? ['    tls_config:', `      ca_file: ${target.caFile}`] : []),
  ...(target.basicAuth ? ['    basic_auth:', `      username: ${target.basicAuth.username}`, `      password: ${JSON.stringify(target.basicAuth.password)}`] : []),
  '    static_configs:',
  `      - targets: ['${target.address}']`,
];

export class PrometheusServer extends ToolProcess {
  private constructor(child: ChildProcess, readonly url: string, readonly dir: string) {
    super(child, 'prometheus', 200);
  }

  /** `dir` is the test's temp dir (the reaper's marker: it is on Prometheus's command line). */
  static async start(dir: string, jobs: readonly ScrapeTarget[]): Promise<PrometheusServer> {
    const config = join(dir, 'prometheus.yml');
    const lines = ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', 'scrape_configs:', ...jobs.flatMap(jobLines)];
    writeFileSync(config, `${lines.join('\n')}\n`, { mode: 0o600 });
    const port = await freePort();
    const child = spawn(
      'prometheus',
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir },
    );
    if (child.pid === undefined) throw new Error('prometheus did not start');
    trackPid(child.pid, dir);
    const server = new PrometheusServer(child, `http://127.0.0.1:${port}`, dir);
    try {
      await server.waitUntil('Prometheus to be ready', async () => (await fetch(`${server.url}/-/ready`).catch(() => undefined))?.ok === true, 30_000);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  /** An instant query through /api/v1/query. */
  async query(expr: string): Promise<Sample[]> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`prometheus: ${expr}: ${body.error ?? res.status}`);
    return body.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** The scrape's state as Prometheus shows it on /targets: health and last error. */
  async targets(): Promise<{ job: string; health: string; lastError: string }[]> {
    const res = await fetch(`${this.url}/api/v1/targets`);
    const body = (await res.json()) as { data: { activeTargets: { labels: { job: string }; health: string; lastError: string }[] } };
    return body.data.activeTargets.map((t) => ({ job: t.labels.job, health: t.health, lastError: t.lastError }));
  }
}
