// What the lint-keepalived tests share: running the command with captured output, an in-memory
// file tree for the reader, and an in-memory host for the host checks.
import { readdirSync } from 'node:fs';
import { lintKeepalived } from '../../src/commands/lint-keepalived.js';
import { runCommand } from '../../src/commands/run-command.js';
import { readRegularFile } from '../../src/edge/lint-host.js';
import type { Account, ConfigTestRun, HostProbe, HostStat, LintDeps } from '../../src/keepalived/host.js';

export interface LintRun {
  code: number;
  stdout: string;
  stderr: string;
  lines: string[];
}

export async function runLint(argv: string[], deps: LintDeps): Promise<LintRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), hideArgv: () => undefined };
  const code = await runCommand(lintKeepalived, argv, {}, io, deps);
  return { code, stdout: out.join(''), stderr: err.join(''), lines: out.join('').split('\n').filter((l) => l !== '') };
}

/** For --offline runs: any question to the host fails the test. */
export const noHost: HostProbe = new Proxy({} as HostProbe, {
  get: (_target, key) => {
    throw new Error(`--offline asked the host for ${String(key)}`);
  },
});

/** The real, bounded reader on this machine's files, with no host. */
export const disk: LintDeps = { readFile: (p) => readRegularFile(p), readDir: (p) => readdirSync(p), host: noHost };

/** An in-memory file tree for the reader; a missing name throws ENOENT like fs does. */
export function memoryFiles(files: Record<string, string>, host: HostProbe = noHost): LintDeps {
  const enoent = (p: string) => Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
  return {
    host,
    readFile: (p) => {
      if (files[p] === undefined) throw enoent(p);
      return files[p];
    },
    readDir: (dir) => {
      const names = Object.keys(files)
        .filter((p) => p.startsWith(`${dir}/`))
        .map((p) => p.slice(dir.length + 1).split('/')[0]!);
      if (names.length === 0) throw enoent(dir);
      return [...new Set(names)];
    },
  };
}

/** One path of an in-memory host: a directory, a file (with its first line) or a symlink. */
export type FakePath = Partial<HostStat> & { readonly target?: string; readonly firstLine?: string };

export interface FakeHost {
  readonly users: Readonly<Record<string, Account>>;
  readonly groups?: Readonly<Record<string, number>>;
  readonly paths: Readonly<Record<string, FakePath | undefined>>;
  readonly configTest?: ConfigTestRun;
}

const dir: FakePath = { type: 'dir', mode: 0o755, uid: 0, gid: 0 };
const program: FakePath = { type: 'file', mode: 0o755, uid: 0, gid: 0 };

/**
 * A host set up as the README says: node, check-mysql and its guard root-owned in root-owned
 * directories, a keepalived_script user, /run/check-mysql made, /bin a symlink to /usr/bin and
 * /usr/bin/sh one to dash (as on Debian), the configuration in /etc/keepalived.
 */
export const GOOD_HOST: FakeHost = {
  users: { root: { uid: 0, gid: 0 }, keepalived_script: { uid: 998, gid: 998 } },
  groups: { root: 0, keepalived_script: 998 },
  paths: {
    '/': dir,
    '/bin': { type: 'symlink', mode: 0o777, uid: 0, gid: 0, target: 'usr/bin' },
    '/usr': dir,
    '/usr/bin': dir,
    '/usr/bin/node': program,
    '/usr/bin/sh': { type: 'symlink', mode: 0o777, uid: 0, gid: 0, target: 'dash' },
    '/usr/bin/dash': program,
    '/opt': dir,
    '/opt/check-mysql': dir,
    '/opt/check-mysql/bin': dir,
    '/opt/check-mysql/bin/check-mysql': { ...program, firstLine: '#!/usr/bin/env node' },
    '/opt/check-mysql/bin/check-mysql-fresh': { ...program, firstLine: '#!/bin/sh' },
    '/run': dir,
    '/run/check-mysql': dir,
    '/etc': dir,
    '/etc/keepalived': dir,
    '/etc/keepalived/keepalived.conf': { type: 'file', mode: 0o644, uid: 0, gid: 0 },
  },
};

/** GOOD_HOST with some paths changed (undefined removes one) and other users or a keepalived -t verdict. */
export function hostWith(change: { paths?: Record<string, FakePath | undefined>; users?: Record<string, Account | undefined>; configTest?: ConfigTestRun }): FakeHost {
  const drop = <T>(record: Record<string, T | undefined>) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Record<string, T>;
  const paths = drop({ ...GOOD_HOST.paths, ...change.paths });
  const users = drop({ ...GOOD_HOST.users, ...change.users });
  return { ...GOOD_HOST, paths, users, ...(change.configTest && { configTest: change.configTest }) };
}

export function memoryHost(fake: FakeHost): HostProbe {
  const at = (path: string) => fake.paths[path.length > 1 ? path.replace(/\/$/, '') : path];
  return {
    cwd: '/etc/keepalived',
    user: (name) => fake.users[name],
    group: (name) => fake.groups?.[name],
    lstat: (path) => {
      const p = at(path);
      return p && { type: p.type ?? 'file', mode: p.mode ?? 0o644, uid: p.uid ?? 0, gid: p.gid ?? 0 };
    },
    readlink: (path) => at(path)?.target,
    firstLine: (path) => at(path)?.firstLine,
    configTest: () => fake.configTest,
  };
}
