import type { CheckConfig } from './config/config.js';
import { classifyDriverError } from './db/failure.js';
import type { Connector, Session } from './db/session.js';
import { deadlineAfter } from './deadline.js';
import { replication } from './probes/replication.js';
import { serverVariables } from './probes/server-variables.js';
import { holdsAddress, type InterfaceTable } from './probes/vip.js';
import { evaluate, type Facts, type Verdict } from './verdict/evaluate.js';

export interface CheckDeps {
  readonly connect: Connector;
  /** Milliseconds, monotonic. */
  readonly now: () => number;
  readonly networkInterfaces: () => InterfaceTable;
}

export interface CheckReport {
  readonly facts: Facts;
  readonly verdict: Verdict;
  readonly elapsedMs: number;
}

/** Connect, run the probes in order under one deadline, quit cleanly, and judge. Never throws. */
export async function runCheck(config: CheckConfig, deps: CheckDeps): Promise<CheckReport> {
  const started = deps.now();
  const deadline = deadlineAfter(config.timeoutMs, deps.now);
  const vip = config.policy.vip ? { address: config.policy.vip, held: holdsAddress(config.policy.vip, deps.networkInterfaces()) } : undefined;
  const target = config.connection.label;

  let session: Session;
  try {
    session = await deps.connect(config.connection, deadline);
  } catch (err) {
    const facts: Facts = { target, connect: { ok: false, error: classifyDriverError(err), elapsedMs: deps.now() - started }, ...(vip && { vip }) };
    return finish(facts, config, started, deps);
  }
  const connect = { ok: true as const, elapsedMs: deps.now() - started };
  const server = await serverVariables.run(session, undefined, deps.now);
  const repl = server.ok ? await replication.run(session, server.value, deps.now) : undefined;
  await session.close();
  const facts: Facts = { target, connect, server, ...(repl && { replication: repl }), ...(vip && { vip }) };
  return finish(facts, config, started, deps);
}

function finish(facts: Facts, config: CheckConfig, started: number, deps: CheckDeps): CheckReport {
  return { facts, verdict: evaluate(facts, config.policy), elapsedMs: deps.now() - started };
}
