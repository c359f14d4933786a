/** keepalived's four trailing words (TYPE NAME STATE PRIORITY, core/notify.c) and what each state asks for. */
import { describe, expect, it } from 'vitest';
import { parseNotifyEvent, wantedRole, type NotifyEvent } from '../../src/notify/event.js';
import { UsageError } from '../../src/usage-error.js';

describe('parseNotifyEvent: what keepalived sends', () => {
  const GOOD: readonly { words: string[]; event: NotifyEvent }[] = [
    { words: ['INSTANCE', 'VI_1', 'MASTER', '100'], event: { type: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 } },
    { words: ['INSTANCE', 'VI_1', 'BACKUP', '0'], event: { type: 'INSTANCE', name: 'VI_1', state: 'BACKUP', priority: 0 } },
    { words: ['INSTANCE', 'VI_1', 'FAULT', '255'], event: { type: 'INSTANCE', name: 'VI_1', state: 'FAULT', priority: 255 } },
    { words: ['GROUP', 'G1', 'STOP'], event: { type: 'GROUP', name: 'G1', state: 'STOP', priority: null } },
    { words: ['INSTANCE', 'VI_1', 'DELETED', '100'], event: { type: 'INSTANCE', name: 'VI_1', state: 'DELETED', priority: 100 } },
  ];
  it.each(GOOD)('$words', ({ words, event }) => {
    expect(parseNotifyEvent(words)).toEqual(event);
  });
});

describe('parseNotifyEvent: each bad word is a usage error that names it', () => {
  const BAD: readonly { name: string; words: string[]; message: string }[] = [
    { name: 'no words', words: [], message: "expected keepalived's TYPE NAME STATE [PRIORITY] after the options, got 0 word(s)" },
    { name: 'two words', words: ['INSTANCE', 'VI_1'], message: "expected keepalived's TYPE NAME STATE [PRIORITY] after the options, got 2 word(s)" },
    { name: 'five words', words: ['INSTANCE', 'VI_1', 'MASTER', '100', 'extra'], message: "expected keepalived's TYPE NAME STATE [PRIORITY] after the options, got 5 word(s)" },
    { name: 'a lower-case TYPE', words: ['instance', 'VI_1', 'MASTER', '100'], message: "invalid notify TYPE 'instance': expected INSTANCE or GROUP" },
    { name: 'an unknown TYPE', words: ['VRRP', 'VI_1', 'MASTER', '100'], message: "invalid notify TYPE 'VRRP': expected INSTANCE or GROUP" },
    { name: 'an unknown STATE', words: ['INSTANCE', 'VI_1', 'UPSIDE-DOWN', '100'], message: "invalid notify STATE 'UPSIDE-DOWN': expected one of MASTER, BACKUP, FAULT, STOP, DELETED" },
    { name: 'a lower-case STATE', words: ['INSTANCE', 'VI_1', 'master', '100'], message: "invalid notify STATE 'master': expected one of MASTER, BACKUP, FAULT, STOP, DELETED" },
    { name: 'a PRIORITY above 255', words: ['INSTANCE', 'VI_1', 'MASTER', '256'], message: "invalid notify PRIORITY '256': expected 0 to 255" },
    { name: 'a negative PRIORITY', words: ['INSTANCE', 'VI_1', 'MASTER', '-1'], message: "invalid notify PRIORITY '-1': expected 0 to 255" },
    { name: 'a fractional PRIORITY', words: ['INSTANCE', 'VI_1', 'MASTER', '1.5'], message: "invalid notify PRIORITY '1.5': expected 0 to 255" },
    { name: 'a PRIORITY that is a word', words: ['INSTANCE', 'VI_1', 'MASTER', 'high'], message: "invalid notify PRIORITY 'high': expected 0 to 255" },
    { name: 'an empty PRIORITY', words: ['INSTANCE', 'VI_1', 'MASTER', ''], message: "invalid notify PRIORITY '': expected 0 to 255" },
    { name: 'a hexadecimal PRIORITY', words: ['INSTANCE', 'VI_1', 'MASTER', '0x64'], message: "invalid notify PRIORITY '0x64': expected 0 to 255" },
  ];
  it.each(BAD)('$name', ({ words, message }) => {
    expect(() => parseNotifyEvent(words)).toThrow(new UsageError(message));
    expect(() => parseNotifyEvent(words)).toThrow(UsageError);
  });
});

describe('wantedRole: what the server should become', () => {
  it.each([
    ['MASTER', 'writer'],
    ['BACKUP', 'standby'],
    ['FAULT', 'standby'],
    ['STOP', 'standby'],
    ['DELETED', 'none'],
  ] as const)('%s -> %s', (state, role) => {
    expect(wantedRole(state)).toBe(role);
  });
});
