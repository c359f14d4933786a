import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { TargetState } from '../types/target-state.js';
import { render } from '../types/finding.js';
import { maintenanceWords } from '../maintenance/maintenance-words.js';

export interface TargetView {
  readonly name: string;
  readonly state: TargetState;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Epoch ms the target started being watched: its freshness reference before a first check. */
  readonly since: number;
  /** Its track or status file writes that fail, one line each: keepalived cannot see what it is not shown. */
  readonly fileProblems: readonly string[];
  /** What /health/NAME answers in maintenance (--maintenance-http-status); 503 when absent. */
  readonly maintenanceHttpStatus?: 503 | 404;
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

/** Healthy, and keepalived is being told so: a verdict that could not be written does not count. */
const serving = (t: TargetView): boolean => t.state.healthy && t.fileProblems.length === 0;

export function describeTarget(t: TargetView): string {
  const report = t.state.lastReport;
  const role = report?.verdict.role ?? 'unknown';
  if (serving(t)) return `healthy: ${t.name} ${role}`;
  const maintenance = t.state.maintenance;
  const why = maintenance
    ? [`maintenance: ${maintenanceWords(maintenance)}`]
    : t.state.healthy
      ? []
      : [report ? report.verdict.reasons.map(render).join('; ') || 'recovering (rise not reached)' : 'not checked yet'];
  return `unhealthy: ${t.name} ${role} - ${[...why, ...t.fileProblems].join('; ')}`;
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
    const healthy = targets.length > 0 && targets.every(serving);
    return send(res, healthy ? 200 : 503, `${targets.map(describeTarget).join('\n')}\n`);
  }
  if (path.startsWith('/health/')) {
    let name: string;
    try {
      name = decodeURIComponent(path.slice('/health/'.length));
    } catch {
      return send(res, 400, 'malformed %-escape in the target name\n');
    }
    const t = targets.find((x) => x.name === name);
    if (!t) return send(res, 404, `no target '${name}'\n`);
    // 404 in maintenance lets HAProxy's `http-check disable-on-404` drain the server (no new
    // sessions, the open ones go on) rather than mark it down.
    const down = t.state.maintenance ? (t.maintenanceHttpStatus ?? 503) : 503;
    return send(res, serving(t) ? 200 : down, `${describeTarget(t)}\n`);
  }
  if (path === '/live') {
    const stale = targets.map((t) => staleness(t, source.now())).filter((s): s is string => s !== undefined);
    const files = targets.flatMap((t) => t.fileProblems.map((p) => `${t.name}: ${p}`));
    const problems = [...(stale.length > 0 ? [`stale: ${stale.join('; ')}`] : []), ...(files.length > 0 ? [`files: ${files.join('; ')}`] : [])];
    return send(res, problems.length === 0 ? 200 : 503, problems.length === 0 ? 'live\n' : `${problems.join('\n')}\n`);
  }
  return send(res, 404, 'not found: try /metrics, /health, /health/NAME or /live\n');
}

/**
 * Scrapers and load balancers send one small request and read a small answer, at once. More
 * clients than this at a time are turned away (accepted and closed at once by Node), so HTTP can
 * never hold more than this many file descriptors: the track and status writes need theirs.
 */
export const MAX_CONNECTIONS = 128;
/** How long a client may take to send its request, or stay idle between requests. */
export const CLIENT_TIMEOUT_MS = 5000;

export function createHealthServer(source: HealthSource): Server {
  const server = createServer(
    {
      requestTimeout: CLIENT_TIMEOUT_MS,
      headersTimeout: CLIENT_TIMEOUT_MS,
      keepAliveTimeout: CLIENT_TIMEOUT_MS,
      // Node enforces the two timeouts above only when it sweeps its connections, every 30 s by
      // default: a client sending its request a byte at a time then lived 30 s. Measured with
      // this sweep, such a client is closed 5.5-6 s after it connects (1 s sweeps: up to 6.5 s).
      connectionsCheckingInterval: 500,
    },
    (req, res) => {
      route(source, req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, `internal error: ${(err as Error).message}\n`);
        else res.destroy();
      });
    },
  );
  server.maxConnections = MAX_CONNECTIONS;
  // A socket silent this long is destroyed (no 'timeout' listener on the server), whatever its
  // state: one that connects and sends nothing was otherwise never closed.
  server.timeout = CLIENT_TIMEOUT_MS;
  return server;
}
