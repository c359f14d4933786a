/**
 * `daemon --mark-fault` (systemd ExecStopPost, after any exit): every track file the config
 * names is set to 1 even when the config does not load, and only then is the error reported.
 */
import { describe, expect, it } from 'vitest';
import { fakeEdge } from '../helpers/daemon-deps.js';

const CNF = '/etc/check-mysql/daemon.cnf';
const target = (name: string, ...lines: string[]) => [`[target ${name}]`, 'host = 127.0.0.1', ...lines].join('\n');
const config = (...sections: string[]) => `[daemon]\nlisten = 127.0.0.1:9797\n${sections.join('\n')}\n`;

async function markFault(text: string | undefined, argv = ['--config', CNF], failing: Record<string, string> = {}) {
  const edge = fakeEdge(text === undefined ? {} : { [CNF]: text });
  for (const [path, code] of Object.entries(failing)) edge.failing.set(path, code);
  const code = await edge.run([...argv, '--mark-fault']);
  return { code, files: Object.fromEntries(edge.files), stderr: edge.stderr.join(''), edge };
}

describe('daemon --mark-fault', () => {
  it('sets every track file of a valid config to 1 and exits 0', async () => {
    const r = await markFault(config(target('db1', 'track-file = /run/c/db1.track'), target('db2', 'track-file = /run/c/db2.track')));
    expect(r).toMatchObject({ code: 0, files: { '/run/c/db1.track': '1\n', '/run/c/db2.track': '1\n' }, stderr: '' });
  });

  it.each([
    ['a misspelt key in one target', target('db2', 'prot = 3307', 'track-file = /run/c/db2.track'), `check-mysql daemon: ${CNF}:8: unknown key in [target db2] (not shown: it may hold a secret)\n`],
    ['an unterminated quote in one target', target('db2', 'password = "se#cret', 'track-file = /run/c/db2.track'), `check-mysql daemon: ${CNF}:8: unterminated quoted value in [target db2]\n`],
    ['a misspelt section header', '[targets db2]\nhost = 127.0.0.1\ntrack-file = /run/c/db2.track', `check-mysql daemon: ${CNF}:7: unknown section [targets db2] (expected [daemon] or [target NAME])\n`],
    ['a bad value in one target', target('db2', 'port = 33o6', 'track-file = /run/c/db2.track'), `check-mysql daemon: ${CNF} [target db2]: invalid port '33o6': expected a whole number from 1 to 65535\n`],
    ['the same section twice', `${target('db2', 'track-file = /run/c/db2.track')}\n[target db1]\nport = 3307`, `check-mysql daemon: ${CNF}:9: [target db1] is given twice (lines 3 and 9)\n`],
  ])('with %s, still sets every track file it can find to 1, then exits 2 with the error', async (_what, broken, stderr) => {
    const r = await markFault(config(target('db1', 'track-file = /run/c/db1.track'), broken));
    expect(r).toMatchObject({ code: 2, files: { '/run/c/db1.track': '1\n', '/run/c/db2.track': '1\n' }, stderr });
  });

  it('from the command line, a bad flag does not stop --track-file being set to 1', async () => {
    const r = await markFault(undefined, ['--no-defaults', '-P', '33o6', '--track-file', '/run/c/default.track']);
    expect(r).toMatchObject({ code: 2, files: { '/run/c/default.track': '1\n' }, stderr: "check-mysql daemon: invalid --port '33o6': expected a whole number from 1 to 65535\n" });
  });

  it('a config it cannot read: nothing to mark, exit 2 with one line', async () => {
    const r = await markFault(undefined);
    expect(r).toMatchObject({ code: 2, files: {}, stderr: `check-mysql daemon: cannot read --config ${CNF}: ENOENT\n` });
  });

  it('a track file it cannot write is logged, the others are still set, and it exits 1', async () => {
    const r = await markFault(config(target('db1', 'track-file = /gone/db1.track'), target('db2', 'track-file = /run/c/db2.track')), undefined, { '/gone/db1.track': 'ENOENT' });
    expect(r).toMatchObject({ code: 1, files: { '/run/c/db2.track': '1\n' }, stderr: '' });
    expect(r.edge.lines.map((l) => l.msg)).toEqual(['db1: cannot set track file /gone/db1.track to fault: ENOENT: no such file or directory', 'db2: track file /run/c/db2.track set to fault']);
  });
});
