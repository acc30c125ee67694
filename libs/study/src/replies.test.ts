/**
 * A study's wait for a reply fails after a silence of the timeout, not after the timeout in all: a
 * request queued behind other work waits as long as the services report; a silent service fails
 * the wait with the step named.
 */
import { MemoryBus } from '@dermagan/bus';
import { TrainingCompleted, TrainingProgress, TrainingRequested, type DermaganEvent } from '@dermagan/contracts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Replies, StudyStepError } from './replies.ts';
import { Silence } from './silence.ts';

const dataset = { bucket: 'b', prefix: 'd/', manifest: { bucket: 'b', key: 'd/manifest.json', sha256: '0'.repeat(64), size: 1 } };
const request = (run: string) =>
  TrainingRequested.create({ run, dataset, classFilter: null, config: { res: 16, kimg: 8 }, output: { bucket: 'b', prefix: `runs/${run}/` } }, { id: `study:${run}` });
const progress = (run: string, kimg: number) => TrainingProgress.create({ run, kimg, totalKimg: 8, stats: {} }, { causedBy: request(run) });

describe('Silence', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fails once nothing was heard for the whole time; each word heard restarts the count', () => {
    const silence = new Silence();
    const fail = vi.fn();
    silence.watch(1000, fail);
    vi.advanceTimersByTime(900);
    silence.heard();
    vi.advanceTimersByTime(900);
    expect(fail).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(fail).toHaveBeenCalledOnce();
  });

  it('stops watching when told', () => {
    const fail = vi.fn();
    new Silence().watch(1000, fail)();
    vi.advanceTimersByTime(5000);
    expect(fail).not.toHaveBeenCalled();
  });
});

describe('Replies', () => {
  it('a queued request outlives the timeout while another step reports progress, and gets its reply', async () => {
    const bus = new MemoryBus();
    await bus.start();
    try {
      const replies = new Replies(bus, 'study-test');
      await replies.listen([TrainingCompleted], [{ definition: TrainingProgress, handle: () => {} }]);
      const waiting = replies.request(request('queued'), TrainingCompleted, 300);
      // Another training reports for 900 ms (three timeouts) while this one waits its turn.
      for (let i = 1; i <= 9; i++) {
        await new Promise((r) => setTimeout(r, 100));
        await bus.publish(progress('running', i));
      }
      const reply = TrainingCompleted.create(
        { run: 'queued', checkpoint: dataset, kimg: 8, history: dataset.manifest, resumedFromKimg: null, wallSeconds: 1 },
        { causedBy: request('queued') },
      );
      await bus.publish(reply);
      expect((await waiting).data.run).toBe('queued');
    } finally {
      await bus.close();
    }
  });

  it('a request no service answers or reports on fails after the silence, naming what it asked', async () => {
    const bus = new MemoryBus();
    await bus.start();
    try {
      const replies = new Replies(bus, 'study-test');
      await replies.listen([TrainingCompleted]);
      const started = Date.now();
      const err = await replies.request(request('lost'), TrainingCompleted, 300).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StudyStepError);
      expect((err as Error).message).toMatch(/training\.requested\.v1 → org\.dermagan\.training\.completed\.v1: no reply, and nothing heard from any service for 0 s/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      await bus.close();
    }
  });
});

describe('Replies once closed', () => {
  it('a request made after the study stopped fails at once with the stop, unpublished (no wait left to keep the process alive)', async () => {
    const bus = new MemoryBus();
    await bus.start();
    try {
      const replies = new Replies(bus, 'study-test');
      await replies.listen([TrainingCompleted]);
      const published: string[] = [];
      await bus.subscribe({ group: 'observer', types: [TrainingRequested.type], parse: (raw) => raw as DermaganEvent<unknown>, handler: async (e) => void published.push(e.id) });
      const pending = replies.request(request('running'), TrainingCompleted, 60_000);
      const stopped = new StudyStepError('stopped by SIGINT');
      replies.close(stopped);
      await expect(pending).rejects.toBe(stopped);
      // A step that was starting as the study stopped: refused before anything is sent or watched.
      await expect(replies.request(request('late'), TrainingCompleted, 60_000)).rejects.toBe(stopped);
      await new Promise((r) => setTimeout(r, 50));
      expect(published).toEqual(['study:running']);
    } finally {
      await bus.close();
    }
  });
});
