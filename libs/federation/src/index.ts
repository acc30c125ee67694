/**
 * @dermagan/federation: federated StyleGAN2-ADA as plain functions over plain data — weight sets,
 * aggregation strategies, the GAN-state policy, validation, signatures, DP, secure aggregation,
 * the aggregator's round state machine and its interpreter over a store (the runner). No Kafka,
 * no HTTP, no engine (the bus and the store are interfaces it is handed).
 */
export * from './weights.ts';
export * from './weight-file.ts';
export * from './rng.ts';
export * from './aggregate.ts';
export * from './aggregate-round.ts';
export * from './strategy.ts';
export * from './base-strategy.ts';
export * from './fedavg.ts';
export * from './fedavgm.ts';
export * from './fedprox.ts';
export * from './fedopt.ts';
export * from './fedadam.ts';
export * from './fedyogi.ts';
export * from './fedadagrad.ts';
export * from './fedmedian.ts';
export * from './trimmed-mean.ts';
export * from './krum.ts';
export * from './strategies.ts';
export * from './gan-state-policy.ts';
export * from './validation.ts';
export * from './signing.ts';
export * from './dp.ts';
export * from './accountant.ts';
export * from './secagg.ts';
export * from './secagg-keys.ts';
export * from './secagg-stream.ts';
export * from './round.ts';
export * from './run-metrics.ts';
export * from './store-weights.ts';
export * from './federation-run.ts';
export * from './aggregator.ts';
export * from './request.ts';
export * from './request-signing.ts';
export * from './registry.ts';
export * from './tenant-kit.ts';
export * from './tenant-check.ts';
export * from './watch.ts';
