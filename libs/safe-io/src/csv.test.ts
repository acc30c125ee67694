import { describe, expect, it } from 'vitest';
import { csvField, toCsv } from './csv.ts';

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['a\nb', '"a\nb"'],
    ['a\rb', '"a\rb"'],
    ['=1+1', `"'=1+1"`],
    ['+1', `"'+1"`],
    ['-1', `"'-1"`],
    ['@cmd', `"'@cmd"`],
    ['\tx', `"'\tx"`],
    ['\rx', `"'\rx"`],
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['a=b', 'a=b'],
  ])('%j → %j', (value, field) => {
    expect(csvField(value)).toBe(field);
  });

  it('numbers stay numbers (a negative number is not a formula); NaN, Infinity, null and undefined are empty', () => {
    expect([csvField(-0.5), csvField(1e-7), csvField(3), csvField(true)]).toEqual(['-0.5', '1e-7', '3', 'true']);
    expect([csvField(Number.NaN), csvField(Number.POSITIVE_INFINITY), csvField(null), csvField(undefined)]).toEqual(['', '', '', '']);
  });

  it('toCsv: header and rows, one line each', () => {
    expect(toCsv(['id', 'score'], [['a', 1], ['=b', -2]])).toBe(`id,score\na,1\n"'=b",-2\n`);
    expect(toCsv(['id'], [])).toBe('id\n');
    expect(toCsv(['a', 'b'], [[1, '=x'], [null, 'y']], { eol: '\r\n' })).toBe(`a,b\r\n1,"'=x"\r\n,y\r\n`);
  });
});
