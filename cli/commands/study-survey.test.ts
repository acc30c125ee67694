/** `dermagan study --survey FILE`: a file that is not the portal's results export stops the study before it starts, with the fix. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dermagan } from '../testing.ts';

describe('study --survey', () => {
  it('exits 2 naming the missing field and where the export comes from', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'study-survey-'));
    await writeFile(join(dir, 'survey.json'), JSON.stringify({ experts: [], answers: 0 }));
    const r = await dermagan('study', '--preset', 'smoke', '--survey', join(dir, 'survey.json'), '--out', join(dir, 'out'));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--survey .*survey\.json is not a survey's results export \(meanAccuracy: .*\); download it from the portal: GET \/api\/surveys\/<id>\/results/);
    const missing = await dermagan('study', '--preset', 'smoke', '--survey', join(dir, 'nope.json'), '--out', join(dir, 'out'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--survey .*nope\.json: ENOENT/);
  });
});
