import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLogSeverity } from './kafka-log.ts';

describe('kafkajs log entries', () => {
  it('a broker state kafkajs retries through is a warning, any other error stays an error', () => {
    expect(kafkaLogSeverity(logLevel.ERROR, { error: 'The group coordinator is not available' })).toBe('warn');
    expect(kafkaLogSeverity(logLevel.ERROR, { error: 'There is no leader for this topic-partition as we are in the middle of a leadership election' })).toBe('warn');
    expect(kafkaLogSeverity(logLevel.ERROR, { error: 'Topic authorization failed' })).toBe('error');
    expect(kafkaLogSeverity(logLevel.ERROR, {})).toBe('error');
    expect(kafkaLogSeverity(logLevel.WARN, { error: 'Topic authorization failed' })).toBe('warn');
  });
});
