import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgv } from '../../src/cli/parse-argv.js';
import { buildCheckConfig } from '../../src/config/config.js';
import type { Env } from '../../src/types/config.js';
import { parseOptionFile } from '../../src/config/option-file.js';
import { UsageError } from '../../src/usage-error.js';
import { asFileKey, asFlag, invalidValue } from '../../src/config/values.js';
import { fakeFiles, realFiles } from '../helpers/option-files.js';
import type { OptionFileSystem } from '../../src/types/host.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'option-files');

function config(args: string[], env: Env = {}, fs: OptionFileSystem = realFiles) {
  return buildCheckConfig({ argv: parseArgv(args), env, fs, loginName: () => 'login' });
}

function usageError(args: string[], env: Env = {}): string {
  try {
    config(args, env);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error(`expected a UsageError for ${args.join(' ')}`);
}

describe('argv follows mysql client conventions', () => {
  it.each([
    ['-h is the host, not help', ['--no-defaults', '-h', '192.0.2.5'], { host: '192.0.2.5', port: 3306 }],
    ['short options take attached values', ['--no-defaults', '-h192.0.2.5', '-P3307', '-ucheck'], { host: '192.0.2.5', port: 3307, user: 'check' }],
    ['localhost means the Unix socket', ['--no-defaults', '-S', '/tmp/x.sock'], { socket: '/tmp/x.sock', label: '/tmp/x.sock' }],
    ['--protocol tcp keeps localhost on TCP', ['--no-defaults', '--protocol', 'tcp', '-P', '3310'], { host: 'localhost', port: 3310 }],
    ['the last occurrence wins', ['--no-defaults', '-h', '192.0.2.1', '--host=192.0.2.9'], { host: '192.0.2.9' }],
    ['the login name is the default user', ['--no-defaults'], { user: 'login' }],
  ])('%s', (_name, args, expected) => {
    expect(config(args).connection).toMatchObject(expected);
  });

  it('-pSECRET is taken whole and never swallows the next argument', () => {
    const parsed = parseArgv(['-psecret', '-h', '192.0.2.5']);
    expect(parsed.options.get('password')).toBe('secret');
    expect(parsed.options.get('host')).toBe('192.0.2.5');
    expect(parsed.passwordOnArgv).toBe(true);
  });

  it('a password on argv is honoured but warned about', () => {
    const c = config(['--no-defaults', '--password=pw']);
    expect(c.connection.password).toBe('pw');
    expect(c.notices.join()).toMatch(/visible to other users/);
  });

  it('MYSQL_PWD is honoured, below option files', () => {
    expect(config(['--no-defaults'], { MYSQL_PWD: 'envpw' }).connection.password).toBe('envpw');
    expect(config(['--defaults-file', join(FIXTURES, 'client.cnf')], { MYSQL_PWD: 'envpw' }).connection.password).toBe('s3cr#et with space');
  });

  it('--json is --format json', () => expect(config(['--no-defaults', '--json']).format).toBe('json'));
  it('defaults: 0.8 s deadline, 30 s max lag, auto role, saturation tolerated', () => {
    const c = config(['--no-defaults']);
    expect([c.timeoutMs, c.policy.maxLagSeconds, c.policy.role, c.policy.onSaturated]).toEqual([800, 30, 'auto', 'healthy']);
  });
});

describe('option files', () => {
  it('reads [client], ignores [mysqld], keeps quoted # and spaces', () => {
    expect(config(['--defaults-file', join(FIXTURES, 'client.cnf')]).connection).toMatchObject({
      host: '127.0.0.1',
      port: 3307,
      user: 'filecheck',
      password: 's3cr#et with space',
    });
  });
  it('reads [client-server] and [check-mysql] too', () => {
    expect(config(['--defaults-file', join(FIXTURES, 'groups.cnf')]).connection).toMatchObject({ socket: '/tmp/from-client-server.sock', user: 'ours' });
  });
  it('the command line beats the option file', () => {
    expect(config(['--defaults-file', join(FIXTURES, 'client.cnf'), '-P', '3399']).connection.port).toBe(3399);
  });
  it('--defaults-extra-file is read after the global files', () => {
    const cnf = '[client]\nuser=from-file\n';
    const fs = fakeFiles({ '/etc/my.cnf': cnf, '/etc/mysql/my.cnf': cnf, '/x/extra.cnf': '[client]\nuser=extra\n', '/home/u/.my.cnf': '[mysqld]\n' });
    const c = buildCheckConfig({ argv: parseArgv(['--defaults-extra-file', '/x/extra.cnf']), env: {}, fs, home: '/home/u' });
    expect(c.connection.user).toBe('extra');
    expect(fs.read).toEqual(['/etc/my.cnf', '/etc/mysql/my.cnf', '/x/extra.cnf', '/home/u/.my.cnf']);
  });
  it('parses escapes, inline comments and !includedir', () => {
    const parsed = parseOptionFile('[client]\nhost = a\\tb # comment\n!includedir /etc/mysql/conf.d/\n', 'x.cnf');
    expect(parsed.entries).toEqual([{ group: 'client', key: 'host', rawKey: 'host', value: 'a\tb', line: 2 }]);
    expect(parsed.directives).toEqual([{ kind: 'includedir', path: '/etc/mysql/conf.d/' }]);
  });
});

describe('--vip is an IP address, written as the interface table writes it', () => {
  it.each([
    ['IPv4', '192.0.2.100', '192.0.2.100'],
    ['IPv6 loopback', '::1', '::1'],
    ['IPv6', '2001:db8::10', '2001:db8::10'],
    ['IPv6 in capitals, uncompressed', '2001:DB8:0:0::10', '2001:db8::10'],
    ['surrounding blanks', ' 192.0.2.100 ', '192.0.2.100'],
  ])('%s: %s', (_name, vip, policyVip) => {
    expect(config(['--no-defaults', '--vip', vip]).policy.vip).toBe(policyVip);
  });
});

describe('bad input is one clear line naming what is wrong', () => {
  it.each([
    ['unknown flag', ['--frobnicate'], 'unknown option --frobnicate'],
    ['unknown short flag', ['-x'], 'unknown option -x'],
    ['non-numeric port', ['--no-defaults', '-P', 'abc'], "invalid --port 'abc': expected a whole number from 1 to 65535"],
    ['port out of range', ['--no-defaults', '-P', '70000'], "invalid --port '70000': expected a whole number from 1 to 65535"],
    ['bare -p would prompt', ['-p'], '-p needs its value attached (-pSECRET or --password=SECRET); better, use MYSQL_PWD or an option file'],
    ['bare --password', ['--password'], '--password needs its value attached (-pSECRET or --password=SECRET); better, use MYSQL_PWD or an option file'],
    ['bad timeout', ['--no-defaults', '--timeout', '0'], "invalid --timeout '0': expected seconds from 0.01 to 3600"],
    ['negative max lag', ['--no-defaults', '--max-lag', '-5'], "invalid --max-lag '-5': expected seconds from 0 to 31536000"],
    ['text max lag', ['--no-defaults', '--max-lag', 'soon'], "invalid --max-lag 'soon': expected seconds from 0 to 31536000"],
    ['bad vip', ['--no-defaults', '--vip', 'db.example'], "invalid --vip 'db.example': expected an IPv4 or IPv6 address"],
    ['vip of colons only', ['--no-defaults', '--vip', ':::::'], "invalid --vip ':::::': expected an IPv4 or IPv6 address"],
    ['vip of three octets', ['--no-defaults', '--vip', '1.2.3'], "invalid --vip '1.2.3': expected an IPv4 or IPv6 address"],
    ['vip with an octet over 255', ['--no-defaults', '--vip', '192.0.2.300'], "invalid --vip '192.0.2.300': expected an IPv4 or IPv6 address"],
    ['vip with two ::', ['--no-defaults', '--vip', '2001::db8::10'], "invalid --vip '2001::db8::10': expected an IPv4 or IPv6 address"],
    [
      'vip with a zone id',
      ['--no-defaults', '--vip', 'fe80::1%eth0'],
      "invalid --vip 'fe80::1%eth0': expected an IPv4 or IPv6 address without a zone id (%...), as interfaces list it",
    ],
    ['bad role', ['--no-defaults', '--role', 'primary'], "invalid --role 'primary': expected one of auto, writer, standby"],
    ['bad format', ['--no-defaults', '--format', 'xml'], "invalid --format 'xml': expected one of human, json, nagios"],
    ['option without value', ['--no-defaults', '--host'], '--host needs a value'],
    ['boolean with value', ['--no-defaults', '--json=yes'], '--json takes no value'],
    ['stray argument', ['--no-defaults', 'status'], "unexpected argument 'status'"],
    ['unreadable defaults file', ['--defaults-file', '/nonexistent/my.cnf'], 'cannot read option file /nonexistent/my.cnf: ENOENT'],
    ['option outside a group', ['--defaults-file', join(FIXTURES, 'invalid-outside-group.cnf')], `${join(FIXTURES, 'invalid-outside-group.cnf')}:1: option outside any [group]`],
    ['unterminated quote', ['--defaults-file', join(FIXTURES, 'invalid-unterminated-quote.cnf')], `${join(FIXTURES, 'invalid-unterminated-quote.cnf')}:2: unterminated quoted value in [client]`],
    ['bad port in a file', ['--defaults-file', join(FIXTURES, 'invalid-port.cnf')], "invalid --port '3306x': expected a whole number from 1 to 65535"],
    ['missing !include', ['--defaults-file', join(FIXTURES, 'invalid-missing-include.cnf')], `cannot read !include in ${join(FIXTURES, 'invalid-missing-include.cnf')} /nonexistent/check-mysql-missing.cnf: ENOENT`],
  ])('%s', (_name, args, message) => {
    expect(usageError(args)).toBe(message);
  });
});

describe('option files another user could write or read', () => {
  const planted = '[client]\nuser=planted\n';
  const withHome = (fs: OptionFileSystem, args: string[] = []) => buildCheckConfig({ argv: parseArgv(args), env: {}, fs, home: '/home/u', loginName: () => 'login' });

  it.each([
    ['a default file', { '/etc/my.cnf': { text: planted, mode: 0o666 } }, [], '/etc/my.cnf'],
    ['the --defaults-file named on the command line (the client skips it too)', { '/x/my.cnf': { text: planted, mode: 0o666 } }, ['--defaults-file', '/x/my.cnf'], '/x/my.cnf'],
    ['an !include', { '/etc/my.cnf': '!include /x/inc.cnf\n', '/x/inc.cnf': { text: planted, mode: 0o646 } }, [], '/x/inc.cnf'],
    ['a file in an !includedir', { '/etc/my.cnf': '!includedir /x/conf.d\n', '/x/conf.d/a.cnf': { text: planted, mode: 0o777 } }, [], '/x/conf.d/a.cnf'],
  ])('a world-writable option file is ignored with the mysql client warning: %s', (_name, files, args, path) => {
    const c = withHome(fakeFiles(files), args);
    expect(c.connection.user).toBe('login');
    expect(c.notices).toEqual([`World-writable config file '${path}' is ignored`]);
  });

  const secret = '[client]\nuser=check\npassword=MySecretPassw0rd\n';
  it.each([
    ['world-readable', { text: secret, mode: 0o644 }, "/home/u/.my.cnf holds a password and is readable by every local user (mode 0644): chmod 600 it, or 640 with the reader's own group"],
    ["readable by a group that is not the reader's", { text: secret, mode: 0o640, gid: 42 }, "/home/u/.my.cnf holds a password and is readable by group 42 (mode 0640): chmod 600 it, or 640 with the reader's own group"],
    ["readable by the reader's own group (root:check-mysql 0640)", { text: secret, mode: 0o640, gid: 1000 }, undefined],
    ['readable by its owner alone', { text: secret, mode: 0o600 }, undefined],
    ['world-readable without a password', { text: '[client]\nuser=check\n', mode: 0o644 }, undefined],
    ['world-readable with a password only for mysqld', { text: '[mysqld]\npassword=x\n', mode: 0o644 }, undefined],
  ])('warns about a password in an option file only when others can read it: %s', (_name, file, notice) => {
    const c = withHome(fakeFiles({ '/home/u/.my.cnf': file }));
    expect(c.notices).toEqual(notice ? [notice] : []);
  });

  it('the warning names the included file that holds the password', () => {
    const c = withHome(fakeFiles({ '/home/u/.my.cnf': '!include /x/pw.cnf\n', '/x/pw.cnf': { text: secret, mode: 0o604 } }));
    expect(c.notices).toEqual(["/x/pw.cnf holds a password and is readable by every local user (mode 0604): chmod 600 it, or 640 with the reader's own group"]);
  });

  it('includes that fan out are bounded, not followed 50 x 50 times', () => {
    const fanOut = (to: string) => `[client]\n${`!include ${to}\n`.repeat(50)}`;
    const fs = fakeFiles({ '/home/u/.my.cnf': fanOut('/x/a.cnf'), '/x/a.cnf': fanOut('/x/b.cnf'), '/x/b.cnf': '[client]\n' });
    expect(() => withHome(fs)).toThrow('/x/b.cnf: more than 100 option files read (through !include)');
    expect(fs.read.length).toBeLessThanOrEqual(101);
  });
});

describe('error messages never repeat a secret', () => {
  it('an invalid password value is not quoted, wherever it was written', () => {
    expect(invalidValue('password', 'MySecretPassw0rd', 'something else', asFlag).message).toBe('invalid --password (value not shown): expected something else');
    expect(invalidValue('password', 'MySecretPassw0rd', 'something else', asFileKey).message).toBe('invalid password (value not shown): expected something else');
  });

  it('an unterminated quoted password names its file, line and group, not its text', () => {
    expect(() => parseOptionFile('[client]\npassword = "MySecretPassw0rd\n', 'x.cnf')).toThrow(/^x\.cnf:2: unterminated quoted value in \[client\]$/);
  });
});

describe('option files that are not small regular files are refused, not read', () => {
  it('a directory as --defaults-file', () => {
    expect(usageError(['--defaults-file', FIXTURES])).toBe(`cannot read option file ${FIXTURES}: not a regular file (a directory)`);
  });
  it('a directory as an !include', () => {
    const fs = fakeFiles({ '/etc/my.cnf': `!include ${FIXTURES}\n` });
    const dirFs: OptionFileSystem = { ...fs, stat: (p) => (p === FIXTURES ? realFiles.stat(p) : fs.stat(p)), readFile: (p) => (p === FIXTURES ? realFiles.readFile(p) : fs.readFile(p)) };
    expect(() => config([], {}, dirFs)).toThrow(`cannot read !include in /etc/my.cnf ${FIXTURES}: not a regular file (a directory)`);
  });
});
