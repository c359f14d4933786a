// A tool the tests start as a child process (haproxy, prometheus): its output kept for error
// messages (the last 20 kB), its pid tracked by the reaper until it exits, a wait that gives up
// when the tool dies, and a stop that escalates to SIGKILL.
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { untrackPid } from '../reaper.js';

export abstract class ToolProcess {
  protected output = '';
  protected exited = false;

  protected constructor(protected readonly child: ChildProcess, private readonly name: string, private readonly pollMs: number) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.output = (this.output + d).slice(-20_000)));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.output = (this.output + d).slice(-20_000)));
    child.once('exit', () => {
      this.exited = true;
      if (child.pid !== undefined) untrackPid(child.pid);
    });
  }

  async waitUntil(what: string, done: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await done()) return;
      if (this.exited) throw new Error(`${this.name} exited while waiting for ${what}\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.output.slice(-4000)}`);
      await sleep(this.pollMs);
    }
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => !this.exited && this.child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }
}
