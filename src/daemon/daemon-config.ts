import { basename, dirname, join, resolve } from 'node:path';
import type { CheckSpec, ConnectionConfig } from '../types/config.js';
import { findOption, takes } from '../cli/options.js';
import type { ArgValue, ParsedArgv } from '../cli/parse-argv.js';
import { buildCheckConfig } from '../config/config.js';
import { DEFAULTS } from '../config/defaults.js';
import { integer, listenAddress, readAt, readWritten, seconds, type SettingNames, type Written } from '../config/values.js';
import type { Env } from '../types/config.js';
import { parseOptionFile, type OptionFileLine, type ParsedOptionFile } from '../config/option-file.js';
import type { FileInfo, OptionFileSystem } from '../types/host.js';
import { cannotRead, exposedPassword, isWorldWritable, worldWritableRefused } from '../config/file-trust.js';
import { isUsableLabelName } from '../metrics/label-names.js';
import { peerAddress } from '../config/peer-address.js';
import { UsageError } from '../usage-error.js';

export interface TargetConfig extends CheckSpec {
  readonly name: string;
  readonly intervalMs: number;
  readonly rise: number;
  readonly fall: number;
  readonly trackFile?: string;
  readonly statusFile?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The other node of the pair (`peer`), with the target's credentials and TLS options; its label is policy.peer. */
  readonly peer?: ConnectionConfig;
}

export interface DaemonConfig {
  /** The config file, or 'the command line'. */
  readonly source: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly targets: readonly TargetConfig[];
  /** Warnings for the log and stderr: a password on argv or readable by others, a skipped option file. */
  readonly notices: readonly string[];
}

export interface DaemonConfigInputs {
  readonly argv: ParsedArgv;
  readonly env: Env;
  readonly fs: OptionFileSystem;
  readonly home?: string;
  readonly loginName?: () => string | undefined;
  /** The canonical path of an existing directory (symlinks resolved), else undefined. */
  readonly realPath?: (path: string) => string | undefined;
}

const DAEMON_KEYS = new Set(['listen', 'interval', 'rise', 'fall']);
const TARGET_ONLY_KEYS = new Set(['track-file', 'status-file', 'interval', 'rise', 'fall']);
const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** A line we do not know may be a password typed on a line of its own: errors give its place, never its text. */
const NOT_SHOWN = 'not shown: it may hold a secret';

/** `check-mysql daemon` flags (+ the --config file) -> a frozen daemon config, or a UsageError. */
export function buildDaemonConfig(inputs: DaemonConfigInputs): DaemonConfig {
  const { argv } = inputs;
  const flag = (name: string) => argv.options.get(name) as string | undefined;
  const config = flag('config');
  if (config === undefined) return fromCommandLine(inputs);

  const targetFlags = [...argv.options.keys()].filter((k) => findOption(k)?.perTarget);
  if (targetFlags.length > 0) throw new UsageError(`--${targetFlags[0]} cannot be combined with --config: set it in a [target] section of ${config}`);
  const { text, info } = readConfigFile(inputs.fs, config);
  const parsed = parseOptionFile(text, config);
  if (parsed.directives.length > 0) throw new UsageError(`${config}: !include is not supported in a daemon config`);
  refuseRepeatedSections(config, parsed.headers);
  const notices: string[] = [];
  const exposed = parsed.entries.some((l) => l.key === 'password') ? exposedPassword(config, info, inputs.fs.readerGid) : undefined;
  if (exposed) notices.push(exposed);
  return fromFile(config, parsed.entries, inputs, notices);
}

/** The daemon's only source of targets: a world-writable one is refused (skipping it, as the client would, leaves nothing to run). */
function readConfigFile(fs: OptionFileSystem, path: string): { text: string; info: FileInfo } {
  let info: FileInfo;
  try {
    info = fs.stat(path);
  } catch (err) {
    throw cannotRead('--config', path, err);
  }
  if (isWorldWritable(info)) throw worldWritableRefused('--config', path, info);
  try {
    return { text: fs.readFile(path), info };
  } catch (err) {
    throw cannotRead('--config', path, err);
  }
}

/** A section given twice would be merged silently: which of the two did its writer mean? */
function refuseRepeatedSections(file: string, headers: ParsedOptionFile['headers']): void {
  const first = new Map<string, number>();
  for (const h of headers) {
    const name = h.group.replace(/\s+/g, ' ');
    const line = first.get(name);
    if (line !== undefined) throw new UsageError(`${file}:${h.line}: [${name}] is given twice (lines ${line} and ${h.line})`);
    first.set(name, h.line);
  }
}

/** The daemon's flags, which override its config file. */
const flagsOf = (argv: ParsedArgv) => (name: string): Written | undefined => {
  const value = argv.options.get(name) as string | undefined;
  return value === undefined ? undefined : { value };
};

const readListen = (written: Written | undefined) => readWritten(written, (value, names) => listenAddress('listen', value ?? DEFAULTS.listen, names));

function fromCommandLine(inputs: DaemonConfigInputs): DaemonConfig {
  const flag = flagsOf(inputs.argv);
  const notices: string[] = [];
  const spec = withPeer(checkSpec(inputs.argv.options, inputs, notices), inputs.argv.options, inputs);
  const target = targetConfig('default', spec, {
    interval: flag('interval'),
    rise: flag('rise'),
    fall: flag('fall'),
    trackFile: flag('track-file')?.value,
    statusFile: flag('status-file')?.value,
    labels: {},
  });
  claimFiles([target], 'the command line', inputs.realPath);
  return Object.freeze({ source: 'the command line', listen: readListen(flag('listen')), targets: Object.freeze([target]), notices: Object.freeze(notices) });
}

function fromFile(file: string, lines: readonly OptionFileLine[], inputs: DaemonConfigInputs, notices: string[]): DaemonConfig {
  const flag = flagsOf(inputs.argv);
  const daemon = new Map<string, OptionFileLine>();
  const sections = new Map<string, OptionFileLine[]>();
  for (const l of lines) {
    const at = `${file}:${l.line}`;
    if (l.group === 'daemon') {
      if (!DAEMON_KEYS.has(l.key)) throw new UsageError(`${at}: unknown key in [daemon] (${NOT_SHOWN}; known: ${[...DAEMON_KEYS].join(', ')})`);
      if (daemon.has(l.key)) throw new UsageError(`${at}: '${l.rawKey}' is set twice in [daemon]`);
      daemon.set(l.key, l);
      continue;
    }
    const m = /^target\s+(.+)$/.exec(l.group);
    if (!m) throw new UsageError(`${at}: unknown section [${l.group}] (expected [daemon] or [target NAME])`);
    const name = m[1]!.trim();
    if (!TARGET_NAME.test(name)) throw new UsageError(`${at}: target name '${name}' must be letters, digits, '.', '_' or '-'`);
    sections.set(name, [...(sections.get(name) ?? []), l]);
  }
  if (sections.size === 0) throw new UsageError(`${file}: no [target NAME] section`);
  const shared = (key: string): Written | undefined => {
    const l = daemon.get(key);
    return flag(key) ?? (l && { value: l.value, section: `${file} [daemon]` });
  };
  const targets = [...sections].map(([name, entries]) => fileTarget(file, name, entries, { interval: shared('interval'), rise: shared('rise'), fall: shared('fall') }, inputs, notices));
  claimFiles(targets, file, inputs.realPath);
  return Object.freeze({ source: file, listen: readListen(shared('listen')), targets: Object.freeze(targets), notices: Object.freeze(notices) });
}

function fileTarget(
  file: string,
  name: string,
  entries: readonly OptionFileLine[],
  daemonDefaults: { interval?: Written | undefined; rise?: Written | undefined; fall?: Written | undefined },
  inputs: DaemonConfigInputs,
  notices: string[],
): TargetConfig {
  const section = `${file} [target ${name}]`;
  const options = new Map<string, ArgValue>();
  const labels: Record<string, string> = {};
  const own = new Map<string, string>();
  for (const l of entries) {
    const at = `${file}:${l.line}`;
    if (l.rawKey.startsWith('label.')) {
      const label = l.rawKey.slice('label.'.length);
      if (!isUsableLabelName(label)) throw new UsageError(`${at}: '${l.rawKey}' is not a usable Prometheus label name`);
      labels[label] = l.value;
      continue;
    }
    const spec = findOption(l.key);
    const allowed = TARGET_ONLY_KEYS.has(l.key) || (spec?.perTarget && spec.name === l.key && l.key !== 'defaults-extra-file' && l.key !== 'no-defaults');
    if (!allowed) throw new UsageError(`${at}: unknown key in [target ${name}] (${NOT_SHOWN})`);
    if (spec?.kind === 'list') {
      options.set(l.key, [...((options.get(l.key) as string[] | undefined) ?? []), ...l.value.split(',').map((v) => v.trim()).filter(Boolean)]);
      continue;
    }
    if (options.has(l.key) || own.has(l.key)) throw new UsageError(`${at}: '${l.rawKey}' is set twice in [target ${name}]`);
    if (l.value === '' && spec?.kind !== 'boolean') throw new UsageError(`${at}: '${l.rawKey}' needs a value`);
    if (TARGET_ONLY_KEYS.has(l.key)) own.set(l.key, l.value);
    else options.set(l.key, l.value);
  }
  // A target reads no option files but the defaults-file it names: one host's [client] must not leak into another target.
  if (!options.has('defaults-file')) options.set('no-defaults', true);
  const spec = withPeer(checkSpec(options, { ...inputs, env: {} }, notices, section), options, { ...inputs, env: {} }, section);
  const ownValue = (key: string): Written | undefined => (own.has(key) ? { value: own.get(key)!, section } : undefined);
  return targetConfig(name, spec, {
    interval: ownValue('interval') ?? daemonDefaults.interval,
    rise: ownValue('rise') ?? daemonDefaults.rise,
    fall: ownValue('fall') ?? daemonDefaults.fall,
    trackFile: own.get('track-file'),
    statusFile: own.get('status-file'),
    labels,
  });
}

/** Reuses the one-shot's validation for connection and policy, so both read options alike. */
function checkSpec(options: ReadonlyMap<string, ArgValue>, inputs: DaemonConfigInputs, notices: string[], section?: string): CheckSpec {
  // Only what a one-shot check of this target would take: the daemon's own options stay here.
  const targetOptions = new Map([...options].filter(([k]) => { const o = findOption(k); return o && takes(o, 'check') && k !== 'help' && k !== 'version'; }));
  const build = (names: SettingNames): CheckSpec => {
    const passwordOnArgv = section === undefined && inputs.argv.passwordOnArgv;
    const c = buildCheckConfig({ ...inputs, argv: { options: targetOptions, positionals: [], passwordOnArgv }, names });
    notices.push(...c.notices.map((n) => (section === undefined ? n : `${section}: ${n}`)));
    return { connection: c.connection, timeoutMs: c.timeoutMs, policy: c.policy, lockFile: c.lockFile };
  };
  return readAt(section, build);
}

/**
 * The `peer` (HOST[:PORT]) as a connection: the target's own options with the host and port
 * replaced and TCP forced, so credentials, TLS (checked against the peer's name) and the rule of
 * when a password may be sent are the target's, read by the same code.
 */
function withPeer(spec: CheckSpec, options: ReadonlyMap<string, ArgValue>, inputs: DaemonConfigInputs, section?: string): CheckSpec & { peer?: ConnectionConfig } {
  const value = options.get('peer') as string | undefined;
  if (value === undefined) return spec;
  const at = readAt(section, (names) => peerAddress('peer', value, names));
  const peerOptions = new Map(options);
  peerOptions.set('host', at.host);
  if (at.port !== undefined) peerOptions.set('port', String(at.port));
  peerOptions.set('protocol', 'tcp');
  peerOptions.delete('socket');
  // Its notices (a password on argv, a skipped file) are the target's, already given once.
  const peer = checkSpec(peerOptions, inputs, [], section).connection;
  return { ...spec, policy: Object.freeze({ ...spec.policy, peer: peer.label }), peer };
}

interface TargetExtras {
  interval?: Written | undefined;
  rise?: Written | undefined;
  fall?: Written | undefined;
  trackFile?: string | undefined;
  statusFile?: string | undefined;
  labels: Record<string, string>;
}

function targetConfig(name: string, spec: CheckSpec & { peer?: ConnectionConfig }, x: TargetExtras): TargetConfig {
  const count = (key: string, fallback: number) => (value: string | undefined, names: SettingNames) => (value === undefined ? fallback : integer(key, value, 1, 100, names));
  const intervalS = readWritten(x.interval, (value, names) => seconds('interval', value, DEFAULTS.intervalS, { min: 0.1, max: 3600 }, names));
  const rise = readWritten(x.rise, count('rise', DEFAULTS.rise));
  const fall = readWritten(x.fall, count('fall', DEFAULTS.fall));
  return Object.freeze({
    ...spec,
    name,
    intervalMs: Math.round(intervalS * 1000),
    rise,
    fall,
    ...(x.trackFile !== undefined && { trackFile: x.trackFile }),
    ...(x.statusFile !== undefined && { statusFile: x.statusFile }),
    labels: Object.freeze({ ...x.labels }),
  });
}

/**
 * Two targets writing one file would overwrite each other's verdict, whatever the spelling:
 * `/r/x.track`, `/r/./x.track` and a path through a symlinked directory are one file.
 */
function claimFiles(targets: readonly TargetConfig[], file: string, realPath: DaemonConfigInputs['realPath']): void {
  const owner = new Map<string, { target: string; path: string }>();
  for (const t of targets) {
    for (const path of [t.trackFile, t.statusFile]) {
      if (path === undefined) continue;
      const same = sameFile(path, realPath);
      const other = owner.get(same);
      if (other !== undefined) {
        const spelt = other.path === path ? path : `${same} (as ${other.path} and ${path})`;
        throw new UsageError(other.target === t.name ? `${file}: target '${t.name}' writes its track and status file to one file, ${spelt}` : `${file}: targets '${other.target}' and '${t.name}' both write ${spelt}`);
      }
      owner.set(same, { target: t.name, path });
    }
  }
}

/** The file's path with `.`, `..` and a symlinked parent directory resolved (the daemon replaces the file itself by rename). */
function sameFile(path: string, realPath: DaemonConfigInputs['realPath']): string {
  const absolute = resolve(path);
  const dir = dirname(absolute);
  return join(realPath?.(dir) ?? dir, basename(absolute));
}
