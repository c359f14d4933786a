import { isDeepStrictEqual } from 'node:util';
import type { Server } from 'node:http';
import { pino, type DestinationStream, type Logger } from 'pino';
import { Registry } from 'prom-client';
import type { HostFiles } from '../types/host.js';
import { createHealthServer, type TargetView } from '../http/health-server.js';
import { createDaemonMetrics, type DaemonMetrics } from '../metrics/daemon-metrics.js';
import { createJsonLogger } from '../log/json-logger.js';
import { render } from '../types/finding.js';
import { buildDaemonConfig, type DaemonConfig, type TargetConfig } from './daemon-config.js';
import { initialState } from './hysteresis.js';
import type { TargetState } from '../types/target-state.js';
import { TargetMonitor, type MonitorDeps } from './monitor.js';
import { TRACK_FAULT, statusDocument, trackFileContent } from './state-files.js';

import type { ProcessSignal } from '../types/io.js';

export type DaemonSignal = ProcessSignal;

/** Everything the daemon needs from outside; bin/ supplies the real ones, tests their own. */
export interface DaemonDeps extends MonitorDeps, HostFiles {
  readonly pid: number;
  /** Atomic replace (temp file + rename in the same directory); may throw. */
  writeFile(path: string, content: string): void;
  /** Where the JSON log lines go (stdout, so journald keeps them). */
  readonly logDestination: DestinationStream;
  onSignal(signal: DaemonSignal, handler: () => void): void;
}

/** `--mark-fault`: every track file says FAULT. For systemd ExecStopPost, after any exit. */
export function markFault(config: DaemonConfig, deps: DaemonDeps, log: Logger): number {
  let failed = 0;
  for (const t of config.targets) {
    if (!t.trackFile) continue;
    try {
      deps.writeFile(t.trackFile, TRACK_FAULT);
      log.info({ target: t.name, trackFile: t.trackFile }, `${t.name}: track file set to fault`);
    } catch (err) {
      failed++;
      log.error({ target: t.name, trackFile: t.trackFile, err: (err as Error).message }, `${t.name}: cannot write ${t.trackFile}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

export function createLogger(destination: DestinationStream): Logger {
  return createJsonLogger(pino, destination);
}

/**
 * The resident daemon: one TargetMonitor per target, files and metrics after every check, an
 * HTTP server for scrapes and load balancers, SIGHUP to reload, SIGTERM/SIGINT to stop.
 * Resolves with the exit code once stopped.
 */
export async function runDaemon(initial: DaemonConfig, reread: () => DaemonConfig, deps: DaemonDeps): Promise<number> {
  const log = createLogger(deps.logDestination);
  const daemon = new Daemon(initial, deps, log);
  try {
    await daemon.listen();
  } catch (err) {
    log.error({ err: (err as Error).message }, `cannot listen on ${initial.listen.host}:${initial.listen.port}: ${(err as Error).message}`);
    // No check will run: leave no earlier run's "0" behind.
    markFault(initial, deps, log);
    return 1;
  }
  daemon.start();
  return new Promise<number>((resolve) => {
    const stop = (signal: DaemonSignal) => () => void daemon.stop(signal).then(() => resolve(0));
    deps.onSignal('SIGTERM', stop('SIGTERM'));
    deps.onSignal('SIGINT', stop('SIGINT'));
    deps.onSignal('SIGHUP', () => daemon.reload(reread));
  });
}

class Daemon {
  private monitors = new Map<string, TargetMonitor>();
  private since = new Map<string, number>();
  private registry = new Registry();
  private metrics: DaemonMetrics;
  private server: Server | undefined;
  private fileErrors = new Map<string, string>();
  private stopping = false;

  constructor(
    private config: DaemonConfig,
    private readonly deps: DaemonDeps,
    private readonly log: Logger,
  ) {
    this.metrics = this.freshMetrics(config);
  }

  async listen(): Promise<void> {
    const server = createHealthServer({
      targets: () => this.views(),
      metrics: () => this.registry.metrics(),
      metricsContentType: this.registry.contentType,
      now: this.deps.wallClock,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.listen.port, this.config.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err: err.message }, `http server: ${err.message}`));
    this.server = server;
  }

  start(): void {
    const { listen, targets, source } = this.config;
    this.log.info({ pid: this.deps.pid, listen: `${listen.host}:${listen.port}`, targets: targets.map((t) => t.name), config: source }, `check-mysql daemon started: ${targets.length} target(s), listening on ${listen.host}:${listen.port}`);
    for (const t of targets) this.startMonitor(t, initialState(this.deps.wallClock()));
  }

  async stop(why: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const monitors = [...this.monitors.values()];
    this.monitors.clear();
    // Fail closed first: keepalived keeps believing a track file's last value after we are gone,
    // and must not see this node as healthy while connections are being closed.
    for (const m of monitors) this.writeFiles(m.target, { ...m.current, healthy: false }, 'stopped');
    await Promise.all(monitors.map((m) => m.stop()));
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.log.info({ signal: why }, `check-mysql daemon stopped (${why}); track files set to fault`);
  }

  /** SIGHUP: a bad config keeps the running one. Unchanged targets keep their connection and state. */
  reload(load: () => DaemonConfig): void {
    let next: DaemonConfig;
    try {
      next = load();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, `reload failed, keeping the current config: ${(err as Error).message}`);
      return;
    }
    if (!isDeepStrictEqual(next.listen, this.config.listen)) {
      this.log.warn({ listen: next.listen }, 'reload: a new listen address takes effect only after a restart');
    }
    const wanted = new Map(next.targets.map((t) => [t.name, t]));
    for (const [name, monitor] of this.monitors) {
      const t = wanted.get(name);
      if (t && isDeepStrictEqual(t, monitor.target)) continue;
      this.monitors.delete(name);
      void monitor.stop();
      if (!t) this.writeFiles(monitor.target, { ...monitor.current, healthy: false }, 'removed');
      else this.startMonitor(t, monitor.current);
    }
    for (const t of next.targets) if (!this.monitors.has(t.name)) this.startMonitor(t, initialState(this.deps.wallClock()));
    this.config = { ...next, listen: this.config.listen };
    this.metrics = this.freshMetrics(this.config);
    for (const m of this.monitors.values()) if (m.current.lastReport) this.metrics.record(meta(m.target), m.current);
    this.log.info({ targets: next.targets.map((t) => t.name), config: next.source }, `config reloaded: ${next.targets.length} target(s)`);
  }

  private freshMetrics(config: DaemonConfig): DaemonMetrics {
    this.registry = new Registry();
    const labelNames = [...new Set(config.targets.flatMap((t) => Object.keys(t.labels)))];
    return createDaemonMetrics(this.registry, labelNames);
  }

  private startMonitor(target: TargetConfig, state: TargetState): void {
    this.since.set(target.name, this.deps.wallClock());
    const monitor = new TargetMonitor(target, this.deps, state, (next, t) => this.checked(t, next));
    this.monitors.set(target.name, monitor);
    this.writeFiles(target, state, state.lastReport ? undefined : 'starting');
    monitor.start();
  }

  private previous = new Map<string, boolean>();

  private checked(target: TargetConfig, state: TargetState): void {
    if (this.stopping) return;
    this.writeFiles(target, state);
    try {
      this.metrics.record(meta(target), state);
    } catch (err) {
      this.log.error({ target: target.name, err: (err as Error).message }, `${target.name}: metrics: ${(err as Error).message}`);
    }
    const was = this.previous.get(target.name);
    this.previous.set(target.name, state.healthy);
    if (was !== undefined && was === state.healthy) return;
    // One line per transition (and the first verdict), never one per check.
    const report = state.lastReport;
    const reasons = report?.verdict.reasons.map(render) ?? [];
    const line = state.healthy
      ? `${target.name}: healthy (${report?.verdict.role ?? 'unknown'})`
      : `${target.name}: FAULT - ${reasons.join('; ') || `not yet healthy: ${state.consecutiveOk}/${target.rise} good checks`}`;
    // elapsedMs: a timeout that took far longer than --timeout means this process was stalled.
    const fields = { target: target.name, healthy: state.healthy, role: report?.verdict.role, reasons, warnings: report?.verdict.warnings.map(render) ?? [], ...(report && { elapsedMs: Math.round(report.elapsedMs) }) };
    if (state.healthy) this.log.info(fields, line);
    else this.log.warn(fields, line);
  }

  private writeFiles(target: TargetConfig, state: TargetState, phase?: 'starting' | 'stopped' | 'removed'): void {
    // Both files after every check: the status file is the heartbeat, and the track file may have
    // been rewritten by someone else (keepalived's `init_file 1 overwrite` when it restarts).
    // On tmpfs (/run) a write and rename cost ~15 us.
    const files: [string | undefined, string | undefined][] = [
      [target.trackFile, trackFileContent(state.healthy)],
      [target.statusFile, target.statusFile ? statusDocument(target, state, this.deps.pid, phase) : undefined],
    ];
    for (const [path, content] of files) {
      if (!path || content === undefined) continue;
      try {
        this.deps.writeFile(path, content);
        if (this.fileErrors.delete(path)) this.log.info({ target: target.name, path }, `${target.name}: writing ${path} works again`);
      } catch (err) {
        // Log when the error starts or changes, not on every check.
        const message = (err as Error).message;
        if (this.fileErrors.get(path) !== message) this.log.error({ target: target.name, path, err: message }, `${target.name}: cannot write ${path}: ${message}`);
        this.fileErrors.set(path, message);
      }
    }
  }

  private views(): TargetView[] {
    return [...this.monitors.values()].map((m) => ({
      name: m.target.name,
      state: m.current,
      intervalMs: m.target.intervalMs,
      timeoutMs: m.target.timeoutMs,
      since: this.since.get(m.target.name) ?? 0,
    }));
  }
}

const meta = (t: TargetConfig) => ({ name: t.name, labels: t.labels, ...(t.policy.vip && { vip: t.policy.vip }) });
