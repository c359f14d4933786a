import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { TargetState } from '../types/target-state.js';
import { render } from '../types/finding.js';

export interface TargetView {
  readonly name: string;
  readonly state: TargetState;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Epoch ms the target started being watched: its freshness reference before a first check. */
  readonly since: number;
}

/** What the server reads. It never touches a database: scrapes answer from the last results. */
export interface HealthSource {
  targets(): readonly TargetView[];
  metrics(): Promise<string>;
  readonly metricsContentType: string;
  /** Epoch ms. */
  now(): number;
}

/** A check older than this many intervals (plus its timeout) means the daemon is stuck. */
export const STALE_AFTER_INTERVALS = 3;

export function describeTarget(t: TargetView): string {
  const report = t.state.lastReport;
  const role = report?.verdict.role ?? 'unknown';
  if (t.state.healthy) return `healthy: ${t.name} ${role}`;
  const why = report ? report.verdict.reasons.map(render).join('; ') || 'recovering (rise not reached)' : 'not checked yet';
  return `unhealthy: ${t.name} ${role} - ${why}`;
}

function staleness(t: TargetView, now: number): string | undefined {
  const last = t.state.lastCheckAt ?? t.since;
  const limit = STALE_AFTER_INTERVALS * t.intervalMs + t.timeoutMs;
  return now - last > limit ? `${t.name}: last check ${((now - last) / 1000).toFixed(1)} s ago (limit ${(limit / 1000).toFixed(1)} s)` : undefined;
}

function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

async function route(source: HealthSource, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'only GET and HEAD\n');
  const path = (req.url ?? '/').split('?')[0]!;
  if (path === '/metrics') return send(res, 200, await source.metrics(), source.metricsContentType);
  const targets = source.targets();
  if (path === '/health') {
    // HAProxy httpchk / clustercheck convention: 200 means "send traffic", 503 means "do not".
    const healthy = targets.length > 0 && targets.every((t) => t.state.healthy);
    return send(res, healthy ? 200 : 503, `${targets.map(describeTarget).join('\n')}\n`);
  }
  if (path.startsWith('/health/')) {
    const name = decodeURIComponent(path.slice('/health/'.length));
    const t = targets.find((x) => x.name === name);
    if (!t) return send(res, 404, `no target '${name}'\n`);
    return send(res, t.state.healthy ? 200 : 503, `${describeTarget(t)}\n`);
  }
  if (path === '/live') {
    const stale = targets.map((t) => staleness(t, source.now())).filter((s): s is string => s !== undefined);
    return send(res, stale.length === 0 ? 200 : 503, stale.length === 0 ? 'live\n' : `stale: ${stale.join('; ')}\n`);
  }
  return send(res, 404, 'not found: try /metrics, /health, /health/NAME or /live\n');
}

export function createHealthServer(source: HealthSource): Server {
  const server = createServer((req, res) => {
    route(source, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, `internal error: ${(err as Error).message}\n`);
      else res.destroy();
    });
  });
  // Scrapers and load balancers poll; a slow or dead client must not pin sockets forever.
  server.requestTimeout = 5000;
  server.headersTimeout = 5000;
  server.keepAliveTimeout = 5000;
  return server;
}
