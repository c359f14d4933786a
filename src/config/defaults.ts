/**
 * Every default of check-mysql, in one place: config/ applies them, --help shows them
 * (cli/options.ts), and the keepalived linter reasons with them. Times are in seconds.
 */
export const DEFAULTS = {
  /** "localhost" means the Unix socket, as with the mysql client. */
  host: 'localhost',
  port: 3306,
  socket: '/run/mysqld/mysqld.sock',
  /**
   * TLS over TCP when the server offers it, without verification: the mysql and MariaDB clients'
   * default, so a server that requires TLS keeps passing its check. Never over a Unix socket.
   */
  sslMode: 'PREFERRED',
  /** When neither --user, an option file, $USER nor the login name gives one. */
  user: 'root',
  /** A check's whole deadline: below keepalived's vrrp_script timeout, even at 1 s. */
  timeoutS: 0.8,
  maxLagS: 30,
  role: 'auto',
  onSaturated: 'healthy',
  format: 'human',
  /** The notify handler's promotion lock (notify/lock-file.ts), in a directory only our user may write; checks read it too. */
  lockFile: '/run/check-mysql/notify.lock',
  /**
   * A read-only VIP holder seen without the VIP this recently is `promoting`: keepalived's notify
   * handler took 0.3-1.4 s to start on a loaded host, and a one-shot's last sighting of the VIP
   * away is up to one interval before it arrived.
   */
  promotionGraceS: 5,
  /** Beyond this, a holder that cannot be promoted would keep the VIP too long. */
  promotionGraceMaxS: 60,

  listen: '127.0.0.1:9797',
  intervalS: 1,
  rise: 2,
  fall: 2,

  /** HAProxy's plain httpchk takes a 503 as down; 404 is for `http-check disable-on-404`. */
  maintenanceHttpStatus: 503,
  maintenanceReason: 'maintenance',

  /** A notify run talks to a server that may be busy committing: longer than a check's deadline. */
  notifyTimeoutS: 5,
  catchUpTimeoutS: 30,
  onCatchUpTimeout: 'stay-read-only',
  /**
   * The switchover's catch-up: this node is read-only while it runs (clients get errors), so it
   * is short; a peer that needs longer is not ready, and the switchover rolls back.
   */
  switchoverCatchUpS: 10,
  /** Maintenance entered -> VIP gone from this node and the peer writable: keepalived's fall/rise, skew and the notify handler. */
  switchoverConfirmS: 15,
  /** Beside the connecting user, whose connections --kill-connections leaves alone. */
  keepUsers: ['root'],
  /** MASTER stops the IO thread of the replication from the peer (notify/peer-io.ts). */
  peerFence: 'on',
} as const;
