/**
 * Reading a topic's offsets survives kafkajs' TypeError (issue #461: an answer that leaves the topic
 * out, while a new topic's metadata settles), and nothing else is retried.
 */
import { describe, expect, it } from 'vitest';
import { BusError } from './errors.ts';
import { topicEnds } from './kafka-topics.ts';

const ENDS = [{ partition: 0, offset: '7', high: '7', low: '0' }];
const kafkajsBug = () => new TypeError("Cannot destructure property 'partitions' of 'low.pop(...)' as it is undefined.");

/** An admin whose fetchTopicOffsets fails with `failures` in turn, then answers. */
function admin(failures: Error[]) {
  let calls = 0;
  return {
    calls: () => calls,
    fetchTopicOffsets: async () => {
      const failure = failures[calls++];
      if (failure) throw failure;
      return ENDS;
    },
  };
}

describe('topicEnds', () => {
  it('asks again after the TypeError and returns the offsets', async () => {
    const a = admin([kafkajsBug(), kafkajsBug()]);
    expect(await topicEnds(a, 'org.dermagan.processed')).toEqual(ENDS);
    expect(a.calls()).toBe(3);
  });

  it('gives up after its tries with a retriable BusError naming the topic', async () => {
    const a = admin(Array.from({ length: 20 }, kafkajsBug));
    const err = await topicEnds(a, 'org.dermagan.processed').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusError);
    expect((err as BusError).retriable).toBe(true);
    expect((err as Error).message).toMatch(/^could not read the offsets of org\.dermagan\.processed: Cannot destructure .* \(10 tries\)$/);
    expect(a.calls()).toBe(10);
  }, 10_000);

  it('does not retry other failures (kafkajs retried those itself)', async () => {
    const other = Object.assign(new Error('This server does not host this topic-partition'), { retriable: true });
    const a = admin([other]);
    await expect(topicEnds(a, 't')).rejects.toBe(other);
    expect(a.calls()).toBe(1);
  });
});
