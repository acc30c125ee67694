/** Run ids in the portal's index: one per training (within its study), federation, study. */

export function trainingId(study: string | undefined, run: string): string {
  return `training:${study ?? '-'}:${run}`;
}

export function federationId(runid: string): string {
  return `federation:${runid}`;
}

export function studyId(runid: string): string {
  return `study:${runid}`;
}
