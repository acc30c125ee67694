/**
 * What a running federation reports as it goes (the fl-aggregator makes these Prometheus series;
 * the library needs only `set` and `inc`). Every rejected update is counted by reason; the round,
 * participants, drop-outs, update norms and ε are per federation.
 */
type Labels<K extends string> = Partial<Record<K, string>>;
interface GaugeLike<K extends string> {
  set(labels: Labels<K>, value: number): void;
}
interface CounterLike<K extends string> {
  inc(labels: Labels<K>, value?: number): void;
}

export interface RunMetrics {
  round: GaugeLike<'federation'>;
  participants: GaugeLike<'federation'>;
  accepted: CounterLike<'federation'>;
  dropped: CounterLike<'federation'>;
  rejected: CounterLike<'reason'>;
  updateNorm: GaugeLike<'federation' | 'tenant'>;
  /** Last round each tenant's update was averaged into. */
  tenantLastRound: GaugeLike<'federation' | 'tenant'>;
  globalDeltaNorm: GaugeLike<'federation'>;
  epsilon: GaugeLike<'federation'>;
}
