import { describe, expect, it } from 'vitest';
import { SignInThrottle } from './throttle.ts';

describe('SignInThrottle', () => {
  const policy = { maxFailures: 3, windowS: 60, lockS: 120, maxKeys: 2 };

  it('locks a key after maxFailures failures within the window, for lockS seconds', () => {
    let now = 0;
    const t = new SignInThrottle(policy, () => now);
    t.failed('alice');
    t.failed('alice');
    expect(t.wait('alice')).toBe(0);
    t.failed('alice');
    expect(t.wait('alice')).toBe(120);
    now = 119_500;
    expect(t.wait('alice')).toBe(1);
    now = 120_000;
    expect(t.wait('alice')).toBe(0);
  });

  it('forgets failures older than the window, and all of them after a success', () => {
    let now = 0;
    const t = new SignInThrottle(policy, () => now);
    t.failed('bob');
    t.failed('bob');
    now = 61_000;
    t.failed('bob');
    expect(t.wait('bob')).toBe(0);
    t.failed('bob');
    t.succeeded('bob');
    t.failed('bob');
    expect(t.wait('bob')).toBe(0);
  });

  it('keeps at most maxKeys keys (the oldest go first)', () => {
    const t = new SignInThrottle({ ...policy, maxFailures: 1 }, () => 0);
    for (const k of ['a', 'b', 'c']) t.failed(k);
    expect([t.wait('a'), t.wait('b'), t.wait('c')]).toEqual([0, 120, 120]);
  });
});
