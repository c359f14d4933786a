/**
 * The Dockerfile: clean under a Dockerfile linter (no Docker engine runs here), and honest:
 * it builds with the install steps the README documents, from a build context that holds
 * what those steps need, into a non-root image whose HEALTHCHECK really probes /live, with the
 * credentials of a web config when it has them (the TLS case against the real daemon:
 * test/integration/web-config.test.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/repo.js';

const DOCKERFILE = readFileSync(resolve(REPO_ROOT, 'Dockerfile'), 'utf8');
const DOCKERIGNORE = readFileSync(resolve(REPO_ROOT, '.dockerignore'), 'utf8');
const README = readFileSync(resolve(REPO_ROOT, 'README.md'), 'utf8');
const PACKAGE = JSON.parse(readFileSync(resolve(REPO_ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
};

interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

/** Instructions with continuation lines joined; `stage` counts FROMs (0 = before the first). */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = 0;
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const full = pending + line;
    pending = '';
    const [keyword = '', ...rest] = full.split(/\s+/);
    if (keyword.toUpperCase() === 'FROM') stage += 1;
    out.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), stage });
  }
  return out;
}

const all = instructions(DOCKERFILE);
const lastStage = Math.max(...all.map((i) => i.stage));
const final = all.filter((i) => i.stage === lastStage);
const of = (list: Instruction[], keyword: string) => list.filter((i) => i.keyword === keyword).map((i) => i.args);

/** Contents of ```sh fenced blocks. */
function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```(?:sh|shell|bash|console)\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

describe('Dockerfile lint (dockerfile-utils, the Docker language server\'s validator)', () => {
  // Every rule the validator makes configurable, at its strictest.
  const STRICT = {
    deprecatedMaintainer: 2,
    directiveCasing: 2,
    emptyContinuationLine: 2,
    instructionCasing: 2,
    instructionCmdMultiple: 2,
    instructionEntrypointMultiple: 2,
    instructionHealthcheckMultiple: 2,
    instructionJSONInSingleQuotes: 2,
    instructionWorkdirRelative: 2,
  };

  async function linter(): Promise<(content: string, settings: typeof STRICT) => { message: string; range: { start: { line: number } } }[]> {
    try {
      return (await import('dockerfile-utils')).validate as never;
    } catch (err) {
      throw new Error(`the devDependency dockerfile-utils is missing (npm install -D dockerfile-utils): ${(err as Error).message}`);
    }
  }

  it('reports nothing on our Dockerfile', async () => {
    const validate = await linter();
    const findings = validate(DOCKERFILE, STRICT).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(findings).toEqual([]);
  });

  it('does report a broken Dockerfile (so its silence means something)', async () => {
    const validate = await linter();
    const broken = 'FROM node:20\nworkdir app\nHEALTHCHECK --interval=10 CMD true\nEXPOSE abc\nCMD [\'a\']\nCMD x\n';
    expect(validate(broken, STRICT).length).toBeGreaterThanOrEqual(5);
  });
});

describe('Dockerfile builds with the README\'s install steps', () => {
  const npmCommands = of(all, 'RUN')
    .flatMap((run) => run.split(/&&|;/))
    .map((cmd) => cmd.trim().replace(/\s+/g, ' '))
    .filter((cmd) => cmd.startsWith('npm '));

  it('installs with npm ci and drops the dev dependencies', () => {
    expect(npmCommands).toEqual(['npm ci', 'npm prune --omit=dev']);
  });

  it.each(['npm ci', 'npm prune --omit=dev'])('README documents `%s` in a shell block', (command) => {
    expect(shellBlocks(README).some((block) => block.includes(command)), `README.md has no sh block with "${command}"`).toBe(true);
  });

  it('sends a build context that holds what npm ci and its prepare build need, and nothing built', () => {
    const rules = DOCKERIGNORE.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    expect(rules[0]).toBe('*');
    const included = rules.filter((r) => r.startsWith('!')).map((r) => r.slice(1).replace(/\/$/, ''));
    const copied = of(all, 'COPY')
      .filter((args) => !args.startsWith('--from'))
      .flatMap((args) => args.split(/\s+/).slice(0, -1));
    expect(copied.length).toBeGreaterThan(0);
    for (const source of copied) expect(included, `COPY ${source} is excluded by .dockerignore`).toContain(source);
    // The prepare script's own file must travel too.
    const prepare = /node (\S+)/.exec(PACKAGE.scripts.prepare ?? '')?.[1];
    expect(prepare && included.some((dir) => prepare === dir || prepare.startsWith(`${dir}/`)), `prepare runs ${prepare}`).toBe(true);
    expect(included).not.toContain('node_modules');
    expect(included).not.toContain('dist');
  });
});

describe('the runtime image', () => {
  it('builds and runs on one Node 20 slim image, so the V8 code cache made at build time is valid', () => {
    const froms = of(all, 'FROM').map((args) => args.split(/\s+/)[0]);
    expect(new Set(froms).size).toBe(1);
    expect(of(all.filter((i) => i.stage === 0), 'ARG')).toContain('NODE_IMAGE=node:20-bookworm-slim');
    expect(PACKAGE.engines.node).toMatch(/^>=20\./);
  });

  it('holds only bin/, dist/, production node_modules and package.json, and runs as node', () => {
    const copies = of(final, 'COPY');
    expect(copies.every((args) => args.startsWith('--from=builder '))).toBe(true);
    expect(copies.map((args) => args.split(/\s+/)[1]).sort()).toEqual(
      ['/build/bin', '/build/dist', '/build/node_modules', '/build/package.json'].sort(),
    );
    expect(of(final, 'USER')).toEqual(['node']);
    expect(final.findIndex((i) => i.keyword === 'USER')).toBeLessThan(final.findIndex((i) => i.keyword === 'ENTRYPOINT'));
  });

  it('starts the daemon with the documented config path and exposes its port', () => {
    expect(of(final, 'ENTRYPOINT')).toEqual(['["node", "/app/bin/check-mysql"]']);
    expect(of(final, 'CMD')).toEqual(['["daemon", "--config", "/etc/check-mysql/daemon.cnf"]']);
    expect(of(final, 'EXPOSE')).toEqual(['9797']);
  });

  describe('HEALTHCHECK', () => {
    const healthcheck = of(final, 'HEALTHCHECK')[0] ?? '';
    const exec = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
    /** The image's /app is this repository's root (COPY bin, dist, node_modules, package.json). */
    const script = resolve(REPO_ROOT, (exec[1] ?? '').replace(/^\/app\//, ''));
    const USER = 'docker-health';
    const PASSWORD = 'pa:ss word';
    let server: Server;
    let status = 200;
    let wantAuth = false;
    let port = 0;
    let dir = '';

    beforeAll(async () => {
      server = createServer((req, res) => {
        const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
        if (wantAuth && req.headers.authorization !== expected) res.statusCode = 401;
        else res.statusCode = req.url === '/live' ? status : 404;
        res.end();
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      port = (server.address() as { port: number }).port;
      dir = mkdtempSync(join(tmpdir(), 'check-mysql-live-'));
    });
    afterAll(async () => {
      rmSync(dir, { recursive: true, force: true });
      await new Promise<void>((done) => server.close(() => done()));
    });

    function probe(env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
      return new Promise((done, reject) => {
        const child = spawn(process.execPath, [script], {
          env: { CHECK_MYSQL_LIVE_URL: `http://127.0.0.1:${port}/live`, ...env },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.once('error', reject);
        child.once('close', (code) => done({ code, stderr }));
      });
    }

    it('is node running bin/check-mysql-live, which the image holds (slim images have no curl)', () => {
      expect(exec).toEqual(['node', '/app/bin/check-mysql-live']);
      expect(healthcheck).toMatch(/--timeout=\d+s/);
      expect(of(final, 'COPY')).toContain('--from=builder /build/bin ./bin');
      expect(readFileSync(script, 'utf8')).toContain("'http://127.0.0.1:9797/live'");
    });

    it('passes when /live answers 200 and fails on 503', async () => {
      status = 200;
      expect(await probe()).toEqual({ code: 0, stderr: '' });
      status = 503;
      expect(await probe()).toEqual({ code: 1, stderr: `check-mysql-live: GET http://127.0.0.1:${port}/live: 503\n` });
      status = 200;
    });

    it('under basic auth: fails naming CHECK_MYSQL_LIVE_AUTH_FILE without it, passes with USER:PASSWORD from that file, fails on a wrong one', async () => {
      wantAuth = true;
      try {
        const none = await probe();
        expect(none.code).toBe(1);
        expect(none.stderr).toMatch(/: 401 \(the web config asks for a password: set CHECK_MYSQL_LIVE_AUTH_FILE\)\n$/);
        const good = join(dir, 'auth');
        writeFileSync(good, `${USER}:${PASSWORD}\n`, { mode: 0o600 });
        expect(await probe({ CHECK_MYSQL_LIVE_AUTH_FILE: good })).toEqual({ code: 0, stderr: '' });
        const wrong = join(dir, 'wrong');
        writeFileSync(wrong, `${USER}:nope\n`, { mode: 0o600 });
        expect((await probe({ CHECK_MYSQL_LIVE_AUTH_FILE: wrong })).stderr).toMatch(/: 401 \(wrong user or password\)\n$/);
      } finally {
        wantAuth = false;
      }
    });

    it.each([
      ['an https URL without CHECK_MYSQL_LIVE_CA', { CHECK_MYSQL_LIVE_URL: 'https://127.0.0.1:9797/live' }, /an https URL needs CHECK_MYSQL_LIVE_CA/],
      ['a missing credentials file', { CHECK_MYSQL_LIVE_AUTH_FILE: '/nonexistent/auth' }, /CHECK_MYSQL_LIVE_AUTH_FILE \/nonexistent\/auth: ENOENT/],
      ['a credentials file without a colon', { CHECK_MYSQL_LIVE_AUTH_FILE: 'NOCOLON' }, /not one line USER:PASSWORD/],
      ['a URL that is not http', { CHECK_MYSQL_LIVE_URL: 'ftp://127.0.0.1/live' }, /must be http:\/\/ or https:\/\//],
    ])('fails with one line on %s', async (_name, env, message) => {
      const resolved = { ...env } as Record<string, string>;
      if (resolved.CHECK_MYSQL_LIVE_AUTH_FILE === 'NOCOLON') {
        resolved.CHECK_MYSQL_LIVE_AUTH_FILE = join(dir, 'nocolon');
        writeFileSync(resolved.CHECK_MYSQL_LIVE_AUTH_FILE, 'just-a-password\n');
      }
      const run = await probe(resolved);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    });
  });
});
