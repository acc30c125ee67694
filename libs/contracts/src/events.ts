/**
 * The event catalogue: one definition per event type, one file per area. Services import the
 * definitions they consume and emit; the type string is also the Kafka topic.
 */
export * from './events/ingest.ts';
export * from './events/training.ts';
export * from './events/generation.ts';
export * from './events/evaluation.ts';
export * from './events/utility.ts';
export * from './events/federation.ts';
export * from './events/explanation.ts';
export * from './events/projection.ts';
