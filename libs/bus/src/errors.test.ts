import { ContractError } from '@dermagan/contracts';
import { KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BusError, BusUsageError, RetriesExhaustedError, describeError, isRetriable } from './errors.ts';

describe('isRetriable', () => {
  it.each([
    ['a plain Error says nothing: not retried blindly', new Error('invalid tenant count'), false],
    ['a TypeError (a bug or bad input)', new TypeError('undefined is not a function'), false],
    ['a system error with a transient code', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), true],
    ['a system error with a permanent code', Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }), false],
    ['fetch failing on a refused connection (the code is on the cause)', new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }), true],
    ['a wrapper without a flag takes its cause’s', new Error('upload failed', { cause: new BusError('broker unavailable') }), true],
    ['a wrapper’s own flag wins over its cause', Object.assign(new Error('bad', { cause: new BusError('x') }), { retriable: false }), false],
    ['BusError by default', new BusError('broker unavailable'), true],
    ['BusError marked non-retriable', new BusError('no', { retriable: false }), false],
    ['BusUsageError', new BusUsageError('bad group'), false],
    ['ContractError from @dermagan/contracts', new ContractError('invalid data'), false],
    ['a ZodError a handler let escape', z.object({ a: z.string() }).safeParse({}).error, false],
    ['KafkaJSError (retriable by default)', new KafkaJSError('leader not available'), true],
    ['KafkaJSNonRetriableError', new KafkaJSNonRetriableError('unknown member'), false],
    ['KafkaJSNumberOfRetriesExceeded (the brokers may be back later)', new KafkaJSNumberOfRetriesExceeded(new KafkaJSError('down'), { retryCount: 8, retryTime: 10_000 }), true],
    ['any object with retriable: false', { retriable: false }, false],
    ['a thrown string', 'oops', false],
    ['a cause cycle ends', (() => { const e = new Error('a'); (e as { cause?: unknown }).cause = e; return e; })(), false],
  ])('%s → %s', (_label, err, expected) => {
    expect(isRetriable(err)).toBe(expected);
  });

  it('RetriesExhaustedError is as retriable as its last failure and keeps it as cause', () => {
    const transient = new RetriesExhaustedError(3, new BusError('down'));
    expect(transient.retriable).toBe(true);
    expect(transient.cause).toBeInstanceOf(BusError);
    expect(new RetriesExhaustedError(1, new ContractError('bad')).retriable).toBe(false);
  });
});

describe('describeError', () => {
  it('gives name, message and retriability for errors and other thrown values', () => {
    expect(describeError(new ContractError('x: invalid data'))).toEqual({ name: 'ContractError', message: 'x: invalid data', retriable: false });
    expect(describeError(new TypeError('undefined is not a function'))).toEqual({ name: 'TypeError', message: 'undefined is not a function', retriable: false });
    expect(describeError(42)).toEqual({ name: 'number', message: '42', retriable: false });
  });
});
