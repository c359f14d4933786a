/**
 * Step 5 of the switchover: the VIP has left this node, answers as the peer, and the peer is
 * writable. The peer's notify handler makes it writable on MASTER; but its own check fails a
 * read-only VIP holder after `fall` checks, and on a loaded host the handler's start-up has
 * been measured to lose that race (the VIP then bounced off the peer and the writes stopped for
 * 10 s). So once the VIP is seen answering as the peer (a connection to the VIP returns the
 * peer's server_id: the peer holds it), the switchover makes it writable itself, as the handler
 * would: the catch-up was verified in step 3. Then it looks once more: a VIP that moved on
 * meanwhile makes it read-only again (the notify handler's own rule, notify.ts "demoted-again").
 */
import { deadlineAfter } from '../deadline.js';
import { isWritable, readOnlyText } from '../dialect/read-only-state.js';
import { PROMOTE_SQL, demoteSql } from '../notify/read-only.js';
import { readProbe } from '../probes/run-probes.js';
import { serverVariables } from '../probes/server-variables.js';
import type { ServerInfo } from '../types/server.js';
import type { Session } from '../types/session.js';
import { holdsAddress } from '../vip.js';
import { POLICY, problemOf } from './reading.js';
import type { StepTiming, SwitchoverDeps, SwitchoverSpec } from './run-switchover.js';

/** How often the VIP and the peer are looked at. */
const POLL_MS = 20;
/** One connection attempt to the VIP: while it is on no node a SYN is lost, and TCP would retry only after 1 s. */
const VIP_CONNECT_MS = 300;

export interface Confirmation {
  readonly steps: readonly StepTiming[];
  readonly problem?: string;
}

/** What answers at the VIP right now: that server's variables, or why nothing does. */
async function askVip(spec: SwitchoverSpec, deps: SwitchoverDeps): Promise<ServerInfo | string> {
  let session: Session;
  try {
    session = await deps.connect(spec.viaVip, deadlineAfter(VIP_CONNECT_MS, deps.now));
  } catch (err) {
    return problemOf(err);
  }
  try {
    return await readProbe(serverVariables, { session, deadline: deadlineAfter(spec.timeoutMs, deps.now), now: deps.now }, POLICY(spec.maxLagSeconds), {});
  } catch (err) {
    return problemOf(err);
  } finally {
    await session.close(deadlineAfter(spec.timeoutMs, deps.now)).catch(() => undefined);
  }
}

export async function confirm(spec: SwitchoverSpec, deps: SwitchoverDeps, peer: Session, peerServerId: number | null, entered: number): Promise<Confirmation> {
  const { now } = deps;
  const ends = entered + spec.confirmTimeoutS * 1000;
  const steps: StepTiming[] = [];
  const since = (): number => Math.round(now() - entered);
  const readPeer = () => readProbe(serverVariables, { session: peer, deadline: deadlineAfter(spec.timeoutMs, now), now }, POLICY(spec.maxLagSeconds), {});
  let vipGone = false;
  let vipAtPeer = false;
  let lastVip = 'not asked yet';
  let lastPeer = 'not asked yet';
  for (;;) {
    if (!vipGone && !holdsAddress(spec.vip, deps.networkInterfaces())) {
      vipGone = true;
      steps.push({ step: 'VIP left', ms: since(), detail: `VIP ${spec.vip} no longer on this node (ms after maintenance)` });
    }
    if (vipGone && !vipAtPeer) {
      const answer = await askVip(spec, deps);
      lastVip = typeof answer === 'string' ? answer : `server_id ${answer.serverId ?? '?'} answers`;
      if (typeof answer !== 'string' && answer.serverId !== null && answer.serverId === peerServerId) {
        vipAtPeer = true;
        steps.push({ step: 'VIP on peer', ms: since(), detail: `${spec.viaVip.label} answers as server_id ${answer.serverId}, ${readOnlyText(answer)} (ms after maintenance)` });
      }
    }
    if (vipAtPeer) {
      try {
        const before = await readPeer();
        lastPeer = readOnlyText(before);
        if (isWritable(before)) {
          steps.push({ step: 'peer writable', ms: since(), detail: `${spec.peer.label} ${readOnlyText(before)}, by its notify handler (ms after maintenance)` });
          return { steps };
        }
        await peer.query(PROMOTE_SQL, deadlineAfter(spec.timeoutMs, now));
        const again = await askVip(spec, deps);
        if (typeof again === 'string' || again.serverId !== peerServerId) {
          // The VIP moved on between the two looks: the peer must not stay writable without it.
          const undo = demoteSql(await readPeer());
          if (undo) await peer.query(undo, deadlineAfter(spec.timeoutMs, now));
          vipAtPeer = false;
          lastVip = `the VIP left the peer while it was made writable (${typeof again === 'string' ? again : `server_id ${again.serverId ?? '?'}`}); made read-only again`;
        } else {
          steps.push({ step: 'peer writable', ms: since(), detail: `${spec.peer.label} ${readOnlyText(await readPeer())}, by the switchover (its notify handler had not yet) (ms after maintenance)` });
          return { steps };
        }
      } catch (err) {
        lastPeer = problemOf(err);
      }
    }
    if (now() >= ends) {
      const wrong = !vipGone
        ? `VIP ${spec.vip} is still on this node after ${spec.confirmTimeoutS} s (is this node's check honouring ${spec.maintenanceFile}?)`
        : !vipAtPeer
          ? `VIP ${spec.vip} left this node but does not answer as the peer after ${spec.confirmTimeoutS} s (${lastVip}; is the peer's keepalived MASTER?)`
          : `the peer ${spec.peer.label} is not writable after ${spec.confirmTimeoutS} s (${lastPeer})`;
      return { steps, problem: wrong };
    }
    await deps.sleep(POLL_MS);
  }
}
