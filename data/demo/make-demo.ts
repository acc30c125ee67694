/**
 * Makes data/demo from ../shared/data/derm-sample (run once; the result is committed):
 *   node --import tsx data/demo/make-demo.ts [/work/shared/data/derm-sample]
 *
 * 300 images: 75 melanoma (25 %, so a class-conditional GAN has both classes) and 225 other, drawn
 * with a fixed seed separately from the HAM10000 part (patient_id = lesion id) and the ISIC 2018
 * test part (empty patient_id) in the sample's own proportions, so both kinds of rows are present.
 * Every derm-sample image is its own lesion, so the subset keeps whole patient groups. JPEGs are
 * copied byte for byte with their metadata.csv rows; README.md of the sample (attribution and the
 * CC BY-NC 4.0 licence) is copied as derm-sample-README.md.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom, shuffled } from '../../libs/ingest/src/random.ts';

const from = process.argv[2] ?? '/work/shared/data/derm-sample';
const here = new URL('.', import.meta.url).pathname;
const [header, ...lines] = readFileSync(join(from, 'metadata.csv'), 'utf8').trim().split('\n');
const rows = lines.map((line) => {
  const [image_id, patient_id, diagnosis, target, source] = line.split(',');
  return { line, image_id: image_id!, patient_id: patient_id!, diagnosis, target: target!, source };
});

const random = seededRandom(20240101);
const pick = (target: string, count: number) => {
  const pool = rows.filter((r) => r.target === target);
  const withPatient = pool.filter((r) => r.patient_id !== '');
  const nWith = Math.round((count * withPatient.length) / pool.length);
  return [
    ...shuffled(withPatient, random).slice(0, nWith),
    ...shuffled(pool.filter((r) => r.patient_id === ''), random).slice(0, count - nWith),
  ];
};
const chosen = [...pick('1', 75), ...pick('0', 225)].sort((a, b) => (a.image_id < b.image_id ? -1 : 1));

for (const r of chosen) copyFileSync(join(from, `${r.image_id}.jpg`), join(here, `${r.image_id}.jpg`));
writeFileSync(join(here, 'metadata.csv'), `${header}\n${chosen.map((r) => r.line).join('\n')}\n`);
copyFileSync(join(from, 'README.md'), join(here, 'derm-sample-README.md'));
console.log(JSON.stringify({ images: chosen.length, melanoma: chosen.filter((r) => r.target === '1').length, withoutPatient: chosen.filter((r) => r.patient_id === '').length }));
