// One topology for the tests of a describe block: started before them (after checking that the
// built CLI runs), always cleaned up after them, then `afterCleanup` (a suite's figures).
import { afterAll, beforeAll } from 'vitest';
import { assertCliRuns } from '../clients/cli.js';
import { Topology, type TopologyOptions } from './topology.js';

/** Registers the hooks; the returned function gives the running topology, or throws if it did not start. */
export function topologyForSuite(options: TopologyOptions, afterCleanup: () => void = () => {}): () => Topology {
  let topo: Topology | undefined;

  beforeAll(async () => {
    await assertCliRuns();
    topo = await Topology.start(options);
  }, 90_000);

  afterAll(async () => {
    await topo?.cleanup();
    afterCleanup();
  }, 60_000);

  return () => {
    if (!topo) throw new Error('the topology did not start');
    return topo;
  };
}
