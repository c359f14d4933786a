import { SERVER_VARIABLES_SQL, parseServerVariables } from '../dialect/server-info.js';
import type { Probe } from './probe.js';

/** read_only, super_read_only and the version: what the role and the dialect depend on. Needs nothing found before it. */
export const serverVariables = {
  name: 'server_variables',
  fact: 'server',
  plan: () => ({ statements: [SERVER_VARIABLES_SQL] }),
  parse: ([rows]) => parseServerVariables(rows!),
} satisfies Probe<'server'>;
