import { join } from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseArgv } from '../../src/cli/parse-argv.js';
import { buildCheckConfig } from '../../src/config/config.js';
import type { Env } from '../../src/types/config.js';
import { parseOptionFile } from '../../src/config/option-file.js';
import { UsageError } from '../../src/usage-error.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'option-files');
const realFs = { readFile: (p: string) => readFileSync(p, 'utf8'), readDir: (p: string) => readdirSync(p) };

function config(args: string[], env: Env = {}) {
  return buildCheckConfig({ argv: parseArgv(args), env, fs: realFs, loginName: () => 'login' });
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
    const seen: string[] = [];
    const fs = {
      readFile: (p: string) => {
        seen.push(p);
        if (p.endsWith('extra.cnf')) return '[client]\nuser=extra\n';
        throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      },
      readDir: () => [],
    };
    const c = buildCheckConfig({ argv: parseArgv(['--defaults-extra-file', '/x/extra.cnf']), env: {}, fs, home: '/home/u' });
    expect(c.connection.user).toBe('extra');
    expect(seen).toEqual(['/etc/my.cnf', '/etc/mysql/my.cnf', '/x/extra.cnf', '/home/u/.my.cnf']);
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
    ['unterminated quote', ['--defaults-file', join(FIXTURES, 'invalid-unterminated-quote.cnf')], `${join(FIXTURES, 'invalid-unterminated-quote.cnf')}:2: unterminated quoted value`],
    ['bad port in a file', ['--defaults-file', join(FIXTURES, 'invalid-port.cnf')], "invalid --port '3306x': expected a whole number from 1 to 65535"],
    ['missing !include', ['--defaults-file', join(FIXTURES, 'invalid-missing-include.cnf')], `cannot read !include in ${join(FIXTURES, 'invalid-missing-include.cnf')} /nonexistent/check-mysql-missing.cnf: ENOENT`],
  ])('%s', (_name, args, message) => {
    expect(usageError(args)).toBe(message);
  });
});
