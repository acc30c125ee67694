/**
 * One study process at a time per output folder: two CLIs continuing the same study would write
 * one ledger and race on the services' checkpoints. `OUT/.study.lock` (libs/safe-io folder-lock)
 * names the process running the study; a second one is refused with who runs it and what to do,
 * a lock whose process on this host has ended is taken over, and one from another host only when
 * the user says so (`--break-lock`).
 *
 * The lock guards the folder, not the store: with `--store s3` two machines with two copies of
 * OUT could still run one study (README, limits).
 */
import { claimOutputFolder, takeFolderLock, type FolderLock } from '@dermagan/safe-io';
import { STUDY_FOLDER } from './study-state.ts';

/** The lock file in a study's output folder. */
export const STUDY_LOCK_FILE = '.study.lock';

export interface StudyLockOptions {
  /** This process's command line, shown to a process refused. */
  command: string;
  /** The flag that takes a lock that is not taken over by itself, for messages (`--break-lock`). */
  breakFlag: string;
  /** The user passed breakFlag: take the lock whoever holds it. */
  breakLock: boolean;
}

/** Claim `out` as a study folder (a foreign folder is refused untouched) and lock it for this process. */
export async function lockStudyFolder(out: string, o: StudyLockOptions): Promise<FolderLock> {
  await claimOutputFolder(out, STUDY_FOLDER);
  return takeFolderLock(out, { file: STUDY_LOCK_FILE, title: 'dermagan study', ...o });
}
