// keepalived's generic notify, recorded: a script that appends "EPOCH_MS TYPE NAME STATE
// PRIORITY" to a states file each time keepalived runs it (and, when a command precedes
// keepalived's four arguments, runs that command too), and the reader of that file. This is
// how every keepalived suite sees keepalived's transitions.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

/** One line of a notify recorder: "EPOCH_MS TYPE NAME STATE PRIORITY". */
export interface Transition {
  /** Epoch ms, taken by the recorder when keepalived ran it. */
  at: number;
  type: string;
  name: string;
  state: VrrpState;
  priority: number;
}

/** The recorder's files in a keepalived's dir. */
export function recorderPaths(dir: string) {
  return {
    recorder: join(dir, 'notify-recorder.sh'),
    statesFile: join(dir, 'states'),
    /** The output and exit code of a command run through the recorder. */
    notifyLog: join(dir, 'notify.log'),
  };
}

/**
 * Writes the notify recorder into `dir` (and an empty states file): it appends "EPOCH_MS TYPE
 * NAME STATE PRIORITY" to the states file, then (when a command precedes keepalived's four
 * arguments) runs that command, appending its output and exit code to `notifyLog`, after
 * `commandDelayS` seconds when given (the transition itself is recorded at once).
 */
export function writeRecorder(dir: string, commandDelayS = 0): void {
  const p = recorderPaths(dir);
  writeFileSync(p.statesFile, '');
  writeFileSync(
    p.recorder,
    [
      '#!/bin/sh',
      '# notify recorder: keepalived appends TYPE NAME STATE PRIORITY to whatever precedes them.',
      'n=$#',
      '[ "$n" -ge 4 ] || exit 1',
      'eval "type=\\${$((n - 3))} name=\\${$((n - 2))} state=\\${$((n - 1))} prio=\\${$n}"',
      `echo "$(date +%s%3N) $type $name $state $prio" >> '${p.statesFile}'`,
      'if [ $# -gt 4 ]; then',
      // A slow start of the command (Node under load), to make the promotion race happen every time.
      ...(commandDelayS > 0 ? [`  sleep ${commandDelayS}`] : []),
      `  echo "$(date +%s%3N) run: $*" >> '${p.notifyLog}'`,
      `  "$@" >> '${p.notifyLog}' 2>&1`,
      '  rc=$?',
      `  echo "$(date +%s%3N) exit $rc" >> '${p.notifyLog}'`,
      '  exit $rc',
      'fi',
      '',
    ].join('\n'),
  );
  chmodSync(p.recorder, 0o755);
}

/** The recorder's lines, in time order (keepalived may run notify scripts out of order). */
export function readTransitions(statesFile: string): Transition[] {
  let text = '';
  try {
    text = readFileSync(statesFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((l) => /^(\d{13}) (\S+) (\S+) (MASTER|BACKUP|FAULT|STOP|DELETED) (\d+)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ at: Number(m[1]), type: m[2] as string, name: m[3] as string, state: m[4] as VrrpState, priority: Number(m[5]) }))
    .sort((x, y) => x.at - y.at);
}
