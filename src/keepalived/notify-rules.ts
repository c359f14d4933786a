/**
 * The rules about promotion and demotion. check-mysql expects every server to start with
 * read_only=ON (README), so a node becomes writable only when keepalived's notify runs
 * `check-mysql notify` on MASTER, and stops being writable only when it runs it on BACKUP,
 * FAULT and STOP. keepalived runs the generic `notify` on every transition with TYPE NAME STATE
 * PRIORITY appended; notify_master, notify_backup, ... each on one (man keepalived.conf(5)). A
 * sync group's notify lines run for its members too (TYPE GROUP).
 *
 * Notify runs can reach us out of order (keepalived #1884): without --vip, notify cannot tell a
 * stale MASTER run from the latest, and in a test of alternating MASTER/BACKUP runs the node
 * ended writable after a final BACKUP in 5 of 10 rounds (issue 9).
 */
import { error, warning, type LintFinding } from './finding.js';
import { syncGroupOf, type KeepalivedConf, type NotifyLine, type VrrpInstance } from './model.js';
import { checkMysqlNotify } from './script-command.js';

const EXAMPLE = 'notify "/usr/bin/node /opt/check-mysql/bin/check-mysql notify --defaults-file=/etc/check-mysql/notify.cnf --vip ADDRESS"';

/** The transitions a specific notify_* line covers; the generic notify covers them all. */
const COVERS: Readonly<Record<string, readonly string[]>> = {
  notify: ['MASTER', 'BACKUP', 'FAULT', 'STOP'],
  notify_master: ['MASTER'],
  notify_backup: ['BACKUP'],
  notify_fault: ['FAULT'],
  notify_stop: ['STOP'],
};

/** The instance's own notify lines and its sync group's: keepalived runs both. */
const notifiesOf = (conf: KeepalivedConf, instance: VrrpInstance): NotifyLine[] => [...instance.notifies, ...(syncGroupOf(conf, instance)?.notifies ?? [])];

export function notifyMissing(conf: KeepalivedConf): LintFinding[] {
  return conf.instances.flatMap((instance) => {
    const lines = notifiesOf(conf, instance);
    const ours = lines.filter((n) => checkMysqlNotify(n.command));
    if (lines.length === 0) {
      return [
        error(
          'notify-missing',
          instance.node,
          `${instance.name} has no notify: with the servers started read_only=ON, the node that takes the VIP stays read-only and one that loses it is never made read-only; add ${EXAMPLE}`,
        ),
      ];
    }
    if (ours.length === 0) {
      return [
        warning(
          'notify-missing',
          lines[0]!.node,
          `${instance.name}'s notify does not run check-mysql notify: unless ${lines[0]!.command[0] ?? 'it'} sets read_only=OFF on MASTER and ON on BACKUP, FAULT and STOP, the VIP holder stays read-only; or use ${EXAMPLE}`,
        ),
      ];
    }
    const covered = new Set(ours.flatMap((n) => COVERS[n.keyword] ?? []));
    const uncovered = COVERS.notify!.filter((state) => !covered.has(state));
    if (uncovered.length === 0) return [];
    const missesMaster = uncovered.includes('MASTER');
    return [
      error(
        'notify-missing',
        ours[0]!.node,
        `${instance.name} runs check-mysql notify only from ${ours.map((n) => n.keyword).join(', ')}, so on ${uncovered.join(', ')} it does not run: ${missesMaster ? 'the node that takes the VIP stays read-only' : 'a node that loses the VIP stays writable (two writers)'}; use the generic notify line, which keepalived runs on every transition`,
      ),
    ];
  });
}

export function notifyWithoutVip(conf: KeepalivedConf): LintFinding[] {
  const lines = [...conf.instances, ...conf.syncGroups].flatMap((owner) => owner.notifies.map((n) => ({ owner: owner.name, n })));
  return lines
    .filter(({ n }) => checkMysqlNotify(n.command)?.vip === false)
    .map(({ owner, n }) =>
      error(
        'notify-without-vip',
        n.node,
        `${owner}: check-mysql notify without --vip cannot tell a late run from the latest, and keepalived may run them out of order: a stale MASTER run after the final BACKUP leaves this node writable; add --vip with the instance's virtual address`,
      ),
    );
}
