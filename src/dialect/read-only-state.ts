import type { ServerInfo } from '../types/server.js';

/**
 * Whether a server takes writes, as the verdict, the notify handler and the logs all judge it:
 * read_only=ON, or super_read_only=ON on MySQL (MariaDB has none: null), makes it read-only.
 */
export const isReadOnly = (server: ServerInfo): boolean => server.readOnly || server.superReadOnly === true;

export const isWritable = (server: ServerInfo): boolean => !isReadOnly(server);

const onOff = (on: boolean): string => (on ? 'ON' : 'OFF');

/** "read_only=ON super_read_only=OFF"; MariaDB shows read_only alone. */
export const readOnlyText = (server: ServerInfo): string =>
  `read_only=${onOff(server.readOnly)}` + (server.superReadOnly === null ? '' : ` super_read_only=${onOff(server.superReadOnly)}`);
