/**
 * The rules about a script's command line as keepalived splits and runs it (see
 * script-command.ts for how keepalived execs it).
 */
import { error, warning, type LintFinding } from './finding.js';
import type { KeepalivedConf } from './model.js';
import type { ConfNode } from './parse.js';
import { baseName, interpretedFile, isInterpreter, isRedirection, isSystemProgram } from './script-command.js';

export function scriptArgsNotQuoted(conf: KeepalivedConf): LintFinding[] {
  return conf.scripts.flatMap((s) =>
    s.script && s.script.args.length > 1
      ? [error('script-args-not-quoted', s.script, `vrrp_script ${s.name}: keepalived runs only the first word of an unquoted script ("${s.script.args[0]}") and drops the rest; quote the whole command as one string${s.script.args.some((a) => /\s/.test(a)) ? '' : `: script "${s.script.args.join(' ')}"`}`)]
      : [],
  );
}

const relative = (word: string): boolean => !word.startsWith('/') && !isRedirection(word);

/**
 * keepalived finds a relative program on its own PATH once, at start-up, and disables the script
 * or notify when it is not there (lib/notify.c find_path()); a relative file given to an
 * interpreter is looked up from keepalived's working directory, /, not from this file's.
 */
export function relativeScriptPath(conf: KeepalivedConf): LintFinding[] {
  const scripts = conf.scripts.flatMap((s) => {
    const argv0 = s.command[0];
    if (!s.script || argv0 === undefined) return [];
    if (relative(argv0)) {
      return [error('relative-script-path', s.script, `vrrp_script ${s.name} runs "${argv0}" by a relative name: keepalived looks it up once on its own PATH at start-up and, if not found, disables the check so the instance tracks nothing; use an absolute path`)];
    }
    return relativeFile(`vrrp_script ${s.name}`, s.script, s.command);
  });
  const notifies = [...conf.instances, ...conf.syncGroups].flatMap((owner) =>
    owner.notifies.flatMap((n) => {
      const argv0 = n.command[0];
      if (argv0 === undefined) return [];
      if (relative(argv0)) {
        return [error('relative-script-path', n.node, `${owner.name}: ${n.keyword} runs "${argv0}" by a relative name: keepalived looks it up once on its own PATH at start-up and, if not found, drops the notify, so the node is never promoted or demoted; use an absolute path`)];
      }
      return relativeFile(`${owner.name}: ${n.keyword}`, n.node, n.command);
    }),
  );
  return [...scripts, ...notifies];
}

function relativeFile(what: string, at: ConfNode, command: readonly string[]): LintFinding[] {
  const file = interpretedFile(command);
  if (file === undefined || !relative(file)) return [];
  return [error('relative-script-path', at, `${what} gives ${command[0]} "${file}" by a relative name, which it opens from keepalived's working directory (/), not from this file's; use an absolute path`)];
}

/**
 * The decision: warn when the command's first word is an absolute path that is neither an
 * interpreter (sh, bash, node, python, perl... by base name) nor a program in /bin, /sbin,
 * /usr/bin or /usr/sbin. Those belong to the distribution, whose package manager replaces them
 * by rename, so they do not vanish under a running keepalived. Anything else (a guard, check-mysql
 * itself, a script in /opt or /usr/local) is a file an operator may delete or redeploy: as an
 * interpreter's argument a missing file fails the check instead of passing it.
 */
export function scriptNotViaSh(conf: KeepalivedConf): LintFinding[] {
  return conf.scripts.flatMap((s) => {
    const argv0 = s.command[0];
    if (!s.script || argv0 === undefined || !argv0.startsWith('/') || isInterpreter(argv0) || isSystemProgram(argv0)) return [];
    const rest = s.command.slice(1).join(' ');
    const fix = baseName(argv0) === 'check-mysql' ? `/usr/bin/node ${argv0}` : `/bin/sh ${argv0}`;
    return [
      warning(
        'script-not-via-sh',
        s.script,
        `vrrp_script ${s.name} runs ${argv0} directly: if that file is deleted or loses its exec bit while keepalived runs, the exec fails and keepalived counts the check as passing; run it through its interpreter: script "${fix}${rest ? ` ${rest}` : ''}"`,
      ),
    ];
  });
}
