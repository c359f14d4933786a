import { isDeepStrictEqual } from 'node:util';
import type { Server } from 'node:http';
import { pino, type DestinationStream, type Logger } from 'pino';
import { Registry } from 'prom-client';
import type { HostFiles } from '../types/host.js';
import { CLIENT_TIMEOUT_MS, createHealthServer, type TargetView } from '../http/health-server.js';
import { WebFront } from '../http/web-front.js';
import { createDaemonMetrics, type DaemonMetrics, type TargetMeta } from '../metrics/daemon-metrics.js';
import { createFileWriteMetrics, type FileWriteMetrics } from '../metrics/file-write-metrics.js';
import { createJsonLogger } from '../log/json-logger.js';
import { render } from '../types/finding.js';
import type { DaemonConfig, TargetConfig } from './daemon-config.js';
import { claimFilesOnDisk, FileWrites, filesOf, warnOfOpenDirectories, type FileWrite } from './file-writes.js';
import { applyMaintenance, initialState, sameMaintenance } from './hysteresis.js';
import { MaintenanceWatch, type MaintenanceWatchDeps } from './maintenance-watch.js';
import { maintenanceLine } from './maintenance-log.js';
import type { MaintenanceState } from '../types/maintenance-fs.js';
import { markFault, trackFilesOf } from './mark-fault.js';
import type { TargetState } from '../types/target-state.js';
import { TargetMonitor, type MonitorDeps } from './monitor.js';
import { statusDocument, trackFileContent } from './state-files.js';
import { peerLine } from './peer-log.js';

import type { ProcessSignal } from '../types/io.js';

export type DaemonSignal = ProcessSignal;

/** Everything the daemon needs from outside; bin/ supplies the real ones, tests their own. */
export interface DaemonDeps extends MonitorDeps, HostFiles, MaintenanceWatchDeps {
  readonly pid: number;
  /**
   * Atomic replace (a whole file renamed into place: daemon/file-rewriter.ts); may throw.
   * unlessSame: may leave a file that already holds exactly `content` alone (never assumed).
   */
  writeFile(path: string, content: string, unlessSame?: boolean): void;
  /** These files will not be written again by this process: drop whatever writeFile keeps for them. */
  releaseFiles?(paths: readonly string[]): void;
  /** The canonical path of an existing directory, else undefined (to tell two spellings of one file apart). */
  realPath(path: string): string | undefined;
  /** A directory's st_mode, else undefined. */
  directoryMode(path: string): number | undefined;
  /** Where the JSON log lines go (stdout, so journald keeps them). */
  readonly logDestination: DestinationStream;
  onSignal(signal: DaemonSignal, handler: () => void): void;
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
  // A JS listener keeps Node from opening its inspector on SIGUSR1: 127.0.0.1:9229 takes no
  // password, so any local user could then run code as this daemon.
  deps.onSignal('SIGUSR1', () => log.warn({ signal: 'SIGUSR1' }, 'SIGUSR1 received and ignored: the Node inspector is disabled in the daemon'));
  claimFilesOnDisk(initial, deps.writeFile, (t) => statusDocument(t, initialState(deps.wallClock()), deps.pid, 'starting'));
  const daemon = new Daemon(initial, deps, log);
  try {
    await daemon.listen();
  } catch (err) {
    log.error({ err: (err as Error).message }, `cannot listen on ${initial.listen.host}:${initial.listen.port}: ${(err as Error).message}`);
    // No check will run: leave no earlier run's "0" behind.
    markFault(trackFilesOf(initial), deps.writeFile, log);
    deps.releaseFiles?.(initial.targets.flatMap(filesOf));
    return 1;
  }
  daemon.start();
  warnOfOpenDirectories(initial, (dir) => deps.directoryMode(dir), log);
  return new Promise<number>((resolve) => {
    const stop = (signal: DaemonSignal) => () => void daemon.stop(signal).then((allSet) => resolve(allSet ? 0 : 1));
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
  private fileMetrics: FileWriteMetrics;
  private readonly files: FileWrites;
  private server: Server | undefined;
  private readonly front: WebFront;
  private stopping = false;

  constructor(
    private config: DaemonConfig,
    private readonly deps: DaemonDeps,
    private readonly log: Logger,
  ) {
    this.files = new FileWrites((path, content, kind) => deps.writeFile(path, content, kind === 'track'), log, (t, w) => this.fileMetrics.set(meta(t), w.kind, w.error === undefined));
    [this.metrics, this.fileMetrics] = this.freshMetrics(config);
    this.front = new WebFront(config.web, CLIENT_TIMEOUT_MS);
  }

  async listen(): Promise<void> {
    const server = createHealthServer({
      targets: () => this.views(),
      metrics: () => this.registry.metrics(),
      metricsContentType: this.registry.contentType,
      now: this.deps.wallClock,
    }, this.front.createServer);
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
    const auth = this.config.web?.users.size ? ' with basic authentication' : '';
    this.log.info({ pid: this.deps.pid, listen: `${listen.host}:${listen.port}`, scheme: this.front.scheme, targets: targets.map((t) => t.name), config: source }, `check-mysql daemon started: ${targets.length} target(s), listening on ${this.front.scheme}://${listen.host}:${listen.port}${auth}`);
    targets.forEach((t, position) => this.startMonitor(t, initialState(this.deps.wallClock()), position));
  }

  /** Resolves with whether every track file could be set to fault. */
  async stop(why: string): Promise<boolean> {
    if (this.stopping) return true;
    this.stopping = true;
    const monitors = [...this.monitors.values()];
    this.monitors.clear();
    for (const w of this.watches.values()) w.close();
    this.watches.clear();
    // Fail closed first: keepalived keeps believing a track file's last value after we are gone,
    // and must not see this node as healthy while connections are being closed.
    const tracks = monitors.flatMap((m) => this.writeFiles(m.target, { ...m.current, healthy: false }, 'stopped')).filter((w) => w.kind === 'track');
    this.deps.releaseFiles?.(monitors.flatMap((m) => filesOf(m.target)));
    await Promise.all(monitors.map((m) => m.stop()));
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    // Only what happened: a track file we could not set still says what it said.
    const set = tracks.filter((w) => w.error === undefined).map((w) => w.target);
    const unset = tracks.filter((w) => w.error !== undefined);
    const said = [
      ...(set.length > 0 ? [`track files set to fault: ${set.join(', ')}`] : []),
      ...(unset.length > 0 ? [`track files NOT set to fault: ${unset.map((w) => `${w.target} (${w.path}: ${w.error})`).join(', ')}`] : []),
    ];
    const fields = { signal: why, faulted: set, notFaulted: unset.map((w) => w.target) };
    const line = `check-mysql daemon stopped (${why}); ${said.join('; ') || 'no track files configured'}`;
    if (unset.length > 0) this.log.error(fields, line);
    else this.log.info(fields, line);
    return unset.length === 0;
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
      this.closeWatch(name);
      void monitor.stop();
      // Its files may have changed or gone: what their old paths did no longer says anything.
      if (!t) this.writeFiles(monitor.target, { ...monitor.current, healthy: false }, 'removed');
      this.deps.releaseFiles?.(filesOf(monitor.target));
      this.files.forget(name);
      if (t) this.startMonitor(t, monitor.current, next.targets.indexOf(t));
    }
    next.targets.forEach((t, position) => {
      if (!this.monitors.has(t.name)) this.startMonitor(t, initialState(this.deps.wallClock()), position);
    });
    const webWarning = this.front.update(next.web);
    if (webWarning) this.log.warn({ webConfig: next.webConfigFile }, webWarning);
    this.config = { ...next, listen: this.config.listen };
    [this.metrics, this.fileMetrics] = this.freshMetrics(this.config);
    for (const m of this.monitors.values()) if (m.current.lastReport) this.metrics.record(meta(m.target), m.current);
    for (const w of this.files.outcomes()) {
      const m = this.monitors.get(w.target);
      if (m) this.fileMetrics.set(meta(m.target), w.kind, w.error === undefined);
    }
    this.log.info({ targets: next.targets.map((t) => t.name), config: next.source }, `config reloaded: ${next.targets.length} target(s)`);
  }

  private freshMetrics(config: DaemonConfig): [DaemonMetrics, FileWriteMetrics] {
    this.registry = new Registry();
    const labelNames = [...new Set(config.targets.flatMap((t) => Object.keys(t.labels)))];
    const failed = (target: string, err: unknown) => this.log.error({ target, err: (err as Error).message }, `${target}: metrics: ${(err as Error).message}`);
    return [createDaemonMetrics(this.registry, labelNames, failed), createFileWriteMetrics(this.registry, labelNames)];
  }

  /** position: the target's place in the config, which decides when in the interval it is checked (src/daemon/check-grid.ts). */
  private startMonitor(target: TargetConfig, initial: TargetState, position: number): void {
    this.since.set(target.name, this.deps.wallClock());
    const watch = target.maintenanceFile === undefined ? undefined : this.watchMaintenance(target);
    // A file left from before a restart: in maintenance from the first instant, not after a check.
    // (A reload that dropped the key ends a maintenance the state carried.)
    const state = applyMaintenance(initial, watch ? watch.read() : { on: false }, this.deps.wallClock());
    const monitor = new TargetMonitor(target, this.deps, state, (next, t) => this.checked(t, next), position);
    this.monitors.set(target.name, monitor);
    if (!sameMaintenance(initial.maintenance, state.maintenance)) {
      this.logMaintenance(target, state.maintenance, state.maintenance ? undefined : 'off');
      this.previous.set(target.name, false);
    }
    this.writeFiles(target, state, state.lastReport ? undefined : 'starting');
    watch?.start();
    monitor.start();
  }

  private watches = new Map<string, MaintenanceWatch>();

  private watchMaintenance(target: TargetConfig): MaintenanceWatch {
    this.closeWatch(target.name);
    const watch = new MaintenanceWatch(
      target.maintenanceFile!,
      this.deps,
      (m) => this.maintenanceRead(target.name, m),
      (message) => this.log.warn({ target: target.name }, `${target.name}: ${message}`),
    );
    this.watches.set(target.name, watch);
    return watch;
  }

  private closeWatch(name: string): void {
    this.watches.get(name)?.close();
    this.watches.delete(name);
  }

  /** The safe action never waits: entering maintenance rewrites the track file now, not at the next check. */
  private maintenanceRead(name: string, maintenance: MaintenanceState): void {
    const monitor = this.monitors.get(name);
    if (this.stopping || !monitor || !monitor.setMaintenance(maintenance)) return;
    const { target, current } = monitor;
    this.writeFiles(target, current);
    try {
      this.metrics.record(meta(target), current);
    } catch (err) {
      this.log.error({ target: name, err: (err as Error).message }, `${name}: metrics: ${(err as Error).message}`);
    }
    this.logMaintenance(target, current.maintenance, maintenance.on ? undefined : 'off');
    // This line says it all: the health transition it causes gets no second one.
    this.previous.set(name, current.healthy);
  }

  private logMaintenance(target: TargetConfig, maintenance: TargetState['maintenance'], off?: 'off'): void {
    const { fields, line } = maintenanceLine(target, maintenance, off);
    if (off) this.log.info(fields, line);
    else this.log.warn(fields, line);
  }

  private previous = new Map<string, boolean>();
  /** What was last logged about each target's peer. */
  private peerSaid = new Map<string, string>();

  private checked(target: TargetConfig, state: TargetState): void {
    if (this.stopping) return;
    // The backstop of the directory watch: a change it missed is seen within one interval.
    this.watches.get(target.name)?.poll();
    state = this.monitors.get(target.name)?.current ?? state;
    this.writeFiles(target, state);
    try {
      this.metrics.record(meta(target), state);
    } catch (err) {
      this.log.error({ target: target.name, err: (err as Error).message }, `${target.name}: metrics: ${(err as Error).message}`);
    }
    this.logPeer(target, state);
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

  /** One line when what the peer's reading means changes (both writable, unreachable, errant), never one per check. */
  private logPeer(target: TargetConfig, state: TargetState): void {
    const said = peerLine(target.name, state.lastReport);
    if (!said || this.peerSaid.get(target.name) === said.key) return;
    this.peerSaid.set(target.name, said.key);
    this.log[said.level](said.fields, said.line);
  }

  private writeFiles(target: TargetConfig, state: TargetState, phase?: 'starting' | 'stopped' | 'removed'): FileWrite[] {
    // Both files after every check: the status file is the heartbeat (its age is what the
    // freshness guard reads), and the track file may have been rewritten by someone else
    // (keepalived's `init_file 1 overwrite` when it restarts): it is read back and rewritten
    // unless it already says what it must.
    const written: FileWrite[] = [];
    if (target.trackFile) written.push(this.files.put(target, 'track', target.trackFile, trackFileContent(state.healthy)));
    if (target.statusFile) written.push(this.files.put(target, 'status', target.statusFile, statusDocument(target, state, this.deps.pid, phase)));
    return written;
  }

  private views(): TargetView[] {
    return [...this.monitors.values()].map((m) => ({
      name: m.target.name,
      state: m.current,
      intervalMs: m.target.intervalMs,
      timeoutMs: m.target.timeoutMs,
      since: this.since.get(m.target.name) ?? 0,
      fileProblems: this.files.problems(m.target.name),
      maintenanceHttpStatus: m.target.maintenanceHttpStatus,
    }));
  }
}

const metas = new WeakMap<TargetConfig, TargetMeta>();
/** One object per target config (which is frozen): what the metrics label a target with. */
function meta(t: TargetConfig): TargetMeta {
  let m = metas.get(t);
  if (!m) metas.set(t, (m = { name: t.name, labels: t.labels, ...(t.policy.vip && { vip: t.policy.vip }) }));
  return m;
}
