import { SERVER_VARIABLES_SQL, parseServerVariables } from '../dialect/server-info.js';
import type { ServerInfo } from '../types/server.js';
import { observe, type Probe } from './probe.js';

/** read_only, super_read_only and the version: what the role and the dialect depend on. */
export const serverVariables = {
  name: 'read_only',
  run: ({ session, deadline, now }) => observe(now, async () => parseServerVariables(await session.query(SERVER_VARIABLES_SQL, deadline))),
} satisfies Probe<ServerInfo>;
