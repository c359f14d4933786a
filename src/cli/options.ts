/**
 * The one table of command-line options. The argv parser, the validation in config/ and the
 * --help text are all derived from it, so a flag cannot exist in one place and not another.
 */
import { DEFAULTS } from '../config/defaults.js';

export type OptionKind = 'string' | 'boolean' | 'list';

import { COMMAND_TABLE, type CommandName } from '../commands/table.js';

export type Command = CommandName;

export interface OptionSpec {
  readonly name: string;
  readonly short?: string;
  readonly kind: OptionKind;
  readonly group: 'Connection' | 'TLS' | 'Policy' | 'Output' | 'Logging' | 'Daemon' | 'Maintenance' | 'Notify' | 'Switchover' | 'Lint' | 'General';
  /** The commands that take this option; absent means all of them. */
  readonly commands?: readonly Command[];
  /** Options that describe one target: with `daemon --config` they belong in the file. */
  readonly perTarget?: true;
  readonly describe: string;
  /** Where one name means slightly different things to different commands (--json). */
  readonly describeFor?: Partial<Record<Command, string>>;
  /** Shown in help only; defaults are applied in config/, where they are validated. */
  readonly defaultText?: string;
  /** Where a command has a default of its own (notify's longer --timeout). */
  readonly defaultTextFor?: Partial<Record<Command, string>>;
  readonly choices?: readonly string[];
}

const CONNECTING: readonly Command[] = ['check', 'daemon', 'notify', 'switchover'];
export const SSL_MODES = ['DISABLED', 'PREFERRED', 'REQUIRED', 'VERIFY_CA', 'VERIFY_IDENTITY'] as const;

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'host', commands: CONNECTING, perTarget: true, short: 'h', kind: 'string', group: 'Connection', describe: 'Server host. "localhost" means the Unix socket, as with the mysql client', defaultText: DEFAULTS.host },
  { name: 'port', commands: CONNECTING, perTarget: true, short: 'P', kind: 'string', group: 'Connection', describe: 'TCP port', defaultText: String(DEFAULTS.port) },
  { name: 'socket', commands: CONNECTING, perTarget: true, short: 'S', kind: 'string', group: 'Connection', describe: 'Unix socket path', defaultText: DEFAULTS.socket },
  { name: 'protocol', commands: CONNECTING, perTarget: true, kind: 'string', group: 'Connection', describe: 'Force the transport', choices: ['tcp', 'socket'] },
  { name: 'user', commands: CONNECTING, perTarget: true, short: 'u', kind: 'string', group: 'Connection', describe: 'User name', defaultText: 'the login name' },
  { name: 'password', commands: CONNECTING, perTarget: true, short: 'p', kind: 'string', group: 'Connection', describe: 'Password, attached only (-pSECRET, --password=SECRET). Visible in ps: prefer MYSQL_PWD or an option file' },
  { name: 'defaults-file', commands: CONNECTING, perTarget: true, kind: 'string', group: 'Connection', describe: 'Read only this option file' },
  { name: 'defaults-extra-file', commands: CONNECTING, perTarget: true, kind: 'string', group: 'Connection', describe: 'Read this option file after the global ones' },
  { name: 'no-defaults', commands: CONNECTING, perTarget: true, kind: 'boolean', group: 'Connection', describe: 'Read no option files' },
  { name: 'ssl-mode', commands: CONNECTING, perTarget: true, kind: 'string', group: 'TLS', describe: 'TLS for TCP connections, as the mysql client: PREFERRED uses it when the server offers it, REQUIRED insists on it, VERIFY_CA also checks the certificate against --ssl-ca, VERIFY_IDENTITY also the host name or address. Never over a Unix socket', choices: SSL_MODES, defaultText: DEFAULTS.sslMode },
  { name: 'ssl-ca', commands: CONNECTING, perTarget: true, kind: 'string', group: 'TLS', describe: 'CA certificates (PEM) the server certificate must chain to; implies --ssl-mode VERIFY_CA' },
  { name: 'ssl-capath', commands: CONNECTING, perTarget: true, kind: 'string', group: 'TLS', describe: 'Directory of CA certificates (PEM files); implies --ssl-mode VERIFY_CA' },
  { name: 'ssl-cert', commands: CONNECTING, perTarget: true, kind: 'string', group: 'TLS', describe: 'Client certificate (PEM), for accounts that REQUIRE X509; needs --ssl-key' },
  { name: 'ssl-key', commands: CONNECTING, perTarget: true, kind: 'string', group: 'TLS', describe: 'Private key (PEM) of --ssl-cert' },
  { name: 'ssl-crl', commands: CONNECTING, perTarget: true, kind: 'string', group: 'TLS', describe: 'Certificate revocation list (PEM) checked with --ssl-ca' },
  { name: 'ssl-crlpath', commands: CONNECTING, perTarget: true, kind: 'string', group: 'TLS', describe: 'Directory of certificate revocation lists (PEM files) checked with --ssl-ca' },
  { name: 'ssl-cipher', commands: CONNECTING, perTarget: true, kind: 'string', group: 'TLS', describe: 'Permitted ciphers for TLS 1.2, an OpenSSL cipher list' },
  { name: 'tls-ciphersuites', commands: CONNECTING, perTarget: true, kind: 'string', group: 'TLS', describe: 'Permitted TLS 1.3 ciphersuites, colon-separated (TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, TLS_AES_128_CCM_SHA256, TLS_AES_128_CCM_8_SHA256)' },
  { name: 'tls-version', commands: CONNECTING, perTarget: true, kind: 'string', group: 'TLS', describe: 'Permitted TLS versions, comma-separated: TLSv1.2, TLSv1.3', defaultText: 'TLSv1.2,TLSv1.3' },
  { name: 'ssl', commands: CONNECTING, perTarget: true, kind: 'boolean', group: 'TLS', describe: "MariaDB's spelling of --ssl-mode REQUIRED" },
  { name: 'skip-ssl', commands: CONNECTING, perTarget: true, kind: 'boolean', group: 'TLS', describe: "MariaDB's spelling of --ssl-mode DISABLED" },
  { name: 'ssl-verify-server-cert', commands: CONNECTING, perTarget: true, kind: 'boolean', group: 'TLS', describe: "MariaDB's spelling of --ssl-mode VERIFY_IDENTITY" },
  { name: 'server-public-key-path', commands: CONNECTING, perTarget: true, kind: 'string', group: 'TLS', describe: "The server's RSA public key (PEM): when a caching_sha2_password or sha256_password server asks for the password over a connection that does not verify the server, it is encrypted to this key. Without it (or --get-server-public-key) the password is not sent" },
  { name: 'get-server-public-key', commands: CONNECTING, perTarget: true, kind: 'boolean', group: 'TLS', describe: 'Encrypt the password to whatever key the server sends instead: an impostor on the port sends its own and reads the password (warned about). Prefer VERIFY_CA or --server-public-key-path' },
  { name: 'timeout', commands: CONNECTING, perTarget: true, kind: 'string', group: 'Policy', describe: 'Wall-clock deadline in seconds for the whole check (connect and every query). Keep it below keepalived\'s vrrp_script timeout', describeFor: { switchover: 'Deadline in seconds for connecting and for each statement (the catch-up and the confirmation have their own bounds)' }, defaultText: String(DEFAULTS.timeoutS), defaultTextFor: { notify: String(DEFAULTS.notifyTimeoutS), switchover: String(DEFAULTS.notifyTimeoutS) } },
  { name: 'max-lag', commands: ['check', 'daemon', 'switchover'], perTarget: true, kind: 'string', group: 'Policy', describe: 'Largest replication lag in seconds a standby may have and stay eligible (a configured SQL_Delay is not lag)', describeFor: { switchover: 'Largest lag in seconds the peer may have behind this node for the switchover to start' }, defaultText: String(DEFAULTS.maxLagS) },
  { name: 'vip', commands: CONNECTING, perTarget: true, kind: 'string', group: 'Policy', describe: 'Virtual IP: this node is the writer while the address is on a local interface', describeFor: { switchover: 'The virtual IP keepalived moves: this node must hold it, and the switchover ends when it has left' } },
  { name: 'promotion-grace', commands: ['check', 'daemon'], perTarget: true, kind: 'string', group: 'Policy', describe: "Seconds after this node was last seen without --vip during which holding it read-only is 'promoting' (a warning), not failed: keepalived moves the VIP before its notify handler makes the node writable. 0 turns it off; at most 60. The one-shot remembers the sighting in a file beside --lock-file", defaultText: String(DEFAULTS.promotionGraceS) },
  { name: 'role', commands: ['check', 'daemon'], perTarget: true, kind: 'string', group: 'Policy', describe: 'Role to judge as; auto = --vip holder, else read_only=OFF means writer', choices: ['auto', 'writer', 'standby'], defaultText: DEFAULTS.role },
  { name: 'on-saturated', commands: ['check', 'daemon'], perTarget: true, kind: 'string', group: 'Policy', describe: 'Verdict when the server is alive but refuses us (1040 too many connections, 1203, 1226, 1129 host blocked)', choices: ['healthy', 'unhealthy'], defaultText: DEFAULTS.onSaturated },
  { name: 'channel', commands: ['check', 'daemon'], perTarget: true, kind: 'list', group: 'Policy', describe: 'Only judge these replication channels / connection names (repeatable); default all' },
  { name: 'heartbeat-table', commands: ['check', 'daemon'], perTarget: true, kind: 'string', group: 'Policy', describe: "pt-heartbeat's table, DB.TABLE (pt-heartbeat must run with --utc): the writer writes its row every check, and a write that does not commit in time is write-stalled; a standby's lag is the larger of its source's row age and Seconds_Behind" },
  { name: 'format', commands: ['check'], kind: 'string', group: 'Output', describe: 'Output format', choices: ['human', 'json', 'nagios'], defaultText: DEFAULTS.format },
  { name: 'json', commands: ['check', 'lint-keepalived'], kind: 'boolean', group: 'Output', describe: 'Same as --format json', describeFor: { 'lint-keepalived': 'Print the findings as a JSON array of {id, severity, file, line, message}' } },
  { name: 'offline', commands: ['lint-keepalived'], kind: 'boolean', group: 'Lint', describe: "Skip the host checks (script user, script paths and permissions, track file directories, keepalived -t): for a FILE meant for another machine" },
  { name: 'log-file', commands: ['check', 'notify', 'switchover'], kind: 'string', group: 'Logging', describe: 'Append one JSON line per unhealthy result to this file', describeFor: { switchover: 'Append one JSON line per run (its result and every step with its time) to this file' } },
  { name: 'no-syslog', commands: ['check', 'notify', 'switchover'], kind: 'boolean', group: 'Logging', describe: 'Do not log unhealthy results to syslog/journal (by default one line goes there via logger(1), tag check-mysql)', describeFor: { switchover: 'Do not log to syslog/journal (by default every run leaves one line there, tag check-mysql)' } },
  { name: 'config', kind: 'string', group: 'Daemon', commands: ['daemon', 'maintenance'], describe: 'Daemon config file with [daemon] and [target NAME] sections (see docs/daemon.md); without it, one target from the connection options', describeFor: { maintenance: "The daemon's config file: the maintenance-file of its target (--target, or its only target)" } },
  { name: 'interval', kind: 'string', group: 'Daemon', commands: ['daemon'], describe: 'Seconds between full checks of each target', defaultText: String(DEFAULTS.intervalS) },
  { name: 'rise', kind: 'string', group: 'Daemon', commands: ['daemon'], describe: 'Consecutive good checks before a target is healthy (it starts in fault)', defaultText: String(DEFAULTS.rise) },
  { name: 'fall', kind: 'string', group: 'Daemon', commands: ['daemon'], describe: 'Consecutive failed checks before a healthy target is in fault', defaultText: String(DEFAULTS.fall) },
  { name: 'track-file', kind: 'string', group: 'Daemon', commands: ['daemon'], perTarget: true, describe: 'keepalived track_file to write: 0 healthy, 1 fault' },
  { name: 'status-file', kind: 'string', group: 'Daemon', commands: ['daemon'], perTarget: true, describe: 'JSON status file rewritten after every check (the freshness guard reads it)' },
  { name: 'peer', kind: 'string', group: 'Daemon', commands: ['daemon', 'switchover'], perTarget: true, describe: 'The other node of the pair, HOST[:PORT] (port: the target\'s), reached over TCP with the target\'s credentials and TLS options: read every check, to warn when both nodes are writable and to name errant transactions on this node', describeFor: { switchover: 'The standby to hand the writer role to, HOST[:PORT] ([IPv6]:PORT), reached over TCP with the same user, password and TLS options as this node (the port defaults to --port)' } },
  { name: 'listen', kind: 'string', group: 'Daemon', commands: ['daemon'], describe: 'HTTP address for /metrics, /health, /health/NAME and /live', defaultText: DEFAULTS.listen },
  { name: 'web-config-file', kind: 'string', group: 'Daemon', commands: ['daemon'], describe: "TLS, basic authentication (bcrypt) and headers for the HTTP endpoints, in the exporter-toolkit's web config format (mysqld_exporter's --web.config.file); all endpoints then need the credentials. Re-read on SIGHUP" },
  { name: 'mark-fault', kind: 'boolean', group: 'Daemon', commands: ['daemon'], describe: 'Write the fault value to every track file and exit (for systemd ExecStopPost)' },
  { name: 'maintenance-file', kind: 'string', group: 'Maintenance', commands: ['check', 'daemon', 'maintenance', 'switchover'], perTarget: true, describe: "While this file exists the target is in maintenance: its track file reads fault, /health/NAME answers 503 (or --maintenance-http-status), and the one-shot check exits 1 without connecting. Its directory must be writable by its owner only (e.g. /var/lib/check-mysql); see docs/maintenance.md", describeFor: { switchover: "This node's maintenance file, the one its daemon or check honours: written once the peer has caught up, so that keepalived moves the VIP; left in place afterwards ('check-mysql maintenance off' returns this node as a standby)" } },
  { name: 'maintenance-http-status', kind: 'string', group: 'Maintenance', commands: ['daemon'], describe: "What /health/NAME answers for a target in maintenance: 503, or 404 for HAProxy's `http-check disable-on-404` (drain: existing sessions stay, no new ones)", choices: ['503', '404'], defaultText: String(DEFAULTS.maintenanceHttpStatus) },
  { name: 'reason', kind: 'string', group: 'Maintenance', commands: ['maintenance'], describe: "With 'on': why, recorded in the file and shown by status, the daemon's log, status file and /health (one line)", defaultText: DEFAULTS.maintenanceReason },
  { name: 'target', kind: 'string', group: 'Maintenance', commands: ['maintenance'], describe: "With --config: the [target NAME] whose maintenance-file to use (needed when the config has several)" },
  { name: 'catchup-timeout', kind: 'string', group: 'Notify', commands: ['notify', 'switchover'], describe: 'On MASTER: seconds to wait for the SQL thread to apply everything the IO thread received, before making the server writable', describeFor: { switchover: 'Seconds to wait for the peer to apply this node\'s final GTID position once it is read-only; past it, this node is made writable again and nothing changes' }, defaultText: String(DEFAULTS.catchUpTimeoutS), defaultTextFor: { switchover: String(DEFAULTS.switchoverCatchUpS) } },
  { name: 'on-catchup-timeout', kind: 'string', group: 'Notify', commands: ['notify'], describe: 'When the catch-up times out: stay read-only (the check then fails and keepalived retries) or promote anyway (possible conflicts)', choices: ['stay-read-only', 'promote'], defaultText: DEFAULTS.onCatchUpTimeout },
  { name: 'kill-connections', kind: 'boolean', group: 'Notify', commands: ['notify', 'switchover'], describe: 'On BACKUP/FAULT/STOP: after setting read-only, kill client connections (not replication, not --keep-user), so writes through stale connections stop', describeFor: { switchover: 'After making this node read-only, kill its client connections (not replication threads, not --keep-user, not our own), so clients reconnect and follow the VIP' } },
  { name: 'peer-fence', kind: 'string', group: 'Notify', commands: ['notify'], describe: 'On MASTER: stop the IO thread of the replication from the peer before catching up, so nothing the old writer logs after losing the VIP lands here (a demotion starts it again); off leaves replication as it is', choices: ['on', 'off'], defaultText: DEFAULTS.peerFence },
  { name: 'peer-channel', kind: 'list', group: 'Notify', commands: ['notify'], describe: 'The replication channel / connection name that comes from the peer, the one --peer-fence stops and a demotion starts again (repeatable); default every channel. Name it when this node also replicates from elsewhere', defaultText: 'every channel' },
  { name: 'keep-user', kind: 'list', group: 'Notify', commands: ['notify', 'switchover'], describe: 'A user demotion never ends: neither its stalled writes (when read_only=ON waits behind them) nor, with --kill-connections, its connections (repeatable)', describeFor: { switchover: 'A user whose stalled writes (when read_only=ON waits behind them) and, with --kill-connections, whose connections the switchover never ends (repeatable)' }, defaultText: `${DEFAULTS.keepUsers.join(', ')} and the connecting user` },
  { name: 'dry-run', kind: 'boolean', group: 'Switchover', commands: ['switchover'], describe: 'Run the preflight, print it and the plan, change nothing' },
  { name: 'lock-file', commands: ['check', 'daemon', 'notify', 'switchover'], kind: 'string', group: 'Notify', perTarget: true, describe: "The notify handler's promotion lock (flock), in a directory that only this user or root can write: serialises MASTER runs on this node; while one holds it, checks read a read-only VIP holder as 'promoting', not failed", describeFor: { switchover: "The notify handler's promotion lock, the same file as this node's check, daemon and notify use: held while this node is read-only and the peer catches up, so that its check reads it as 'promoting' and keepalived keeps the VIP here until the maintenance file moves it" }, defaultText: DEFAULTS.lockFile },
  { name: 'help', kind: 'boolean', group: 'General', describe: 'Show this help' },
  { name: 'version', kind: 'boolean', group: 'General', describe: 'Show the version' },
];

export const takes = (o: OptionSpec, command: Command): boolean => !o.commands || o.commands.includes(command);

const commandTitle = (c: Command): string => (c === 'check' ? 'the one-shot check' : `'check-mysql ${c}'`);

/** "--interval is only for 'check-mysql daemon'" */
export function onlyFor(o: OptionSpec): string {
  const titles = (o.commands ?? COMMAND_TABLE.map((c) => c.name)).map(commandTitle);
  const list = titles.length < 2 ? titles.join('') : `${titles.slice(0, -1).join(', ')} and ${titles.at(-1)}`;
  return `--${o.name} is only for ${list}`;
}

export const describeFor = (o: OptionSpec, command: Command): string => o.describeFor?.[command] ?? o.describe;
export const defaultTextFor = (o: OptionSpec, command: Command): string | undefined => o.defaultTextFor?.[command] ?? o.defaultText;

export function findOption(name: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.name === name || o.short === name);
}
