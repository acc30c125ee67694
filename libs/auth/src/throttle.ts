/**
 * Sign-in attempts per key (a username, a client address): after `maxFailures` failures within
 * `windowS`, the key is refused for `lockS` seconds, so passwords cannot be guessed at the rate
 * scrypt allows. In memory, per process: a restart or a second replica starts afresh (scrypt's
 * cost still bounds the rate); entries past their window are forgotten, at most `maxKeys` kept.
 */
export interface ThrottlePolicy {
  maxFailures: number;
  windowS: number;
  lockS: number;
  maxKeys: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = { maxFailures: 5, windowS: 15 * 60, lockS: 15 * 60, maxKeys: 10_000 };

interface Entry {
  failures: number;
  since: number;
  lockedUntil: number;
}

export class SignInThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `key` may try again, or 0. */
  wait(key: string): number {
    const e = this.entries.get(key);
    const t = this.now();
    return e && e.lockedUntil > t ? Math.ceil((e.lockedUntil - t) / 1000) : 0;
  }

  failed(key: string): void {
    const t = this.now();
    let e = this.entries.get(key);
    if (!e || t - e.since > this.policy.windowS * 1000) e = { failures: 0, since: t, lockedUntil: 0 };
    e.failures++;
    if (e.failures >= this.policy.maxFailures) e.lockedUntil = t + this.policy.lockS * 1000;
    this.entries.delete(key);
    this.entries.set(key, e);
    this.prune(t);
  }

  succeeded(key: string): void {
    this.entries.delete(key);
  }

  /** Oldest first: drop what has expired, and the oldest beyond maxKeys. */
  private prune(t: number): void {
    for (const [k, e] of this.entries) {
      const expired = t - e.since > this.policy.windowS * 1000 && e.lockedUntil <= t;
      if (!expired && this.entries.size <= this.policy.maxKeys) break;
      this.entries.delete(k);
    }
  }
}
