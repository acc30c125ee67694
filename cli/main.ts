/**
 * `dermagan`: every subcommand is a thin wrapper over a library function. Commands register
 * themselves from cli/commands/<name>.ts (one file per command).
 */
import { Command, CommanderError } from 'commander';
import { PretrainedError } from '@dermagan/pretrained';
import { OutputRefusedError, UnsafePathError } from '@dermagan/safe-io';
import { commands } from './commands/index.ts';
import { UserError } from './output.ts';
import { version } from './version.ts';

const program = new Command('dermagan')
  .description('Synthetic dermoscopy images with StyleGAN2-ADA: ingest, train, generate, measure, explain.')
  .version(version)
  .showHelpAfterError()
  .exitOverride();

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof UserError || err instanceof PretrainedError || err instanceof OutputRefusedError || err instanceof UnsafePathError || (err as { exitCode?: number }).exitCode === 2) {
    // A missing or damaged pretrained model, an output folder that is not ours, a path leaving its folder: the user's to fix (the message says how).
    process.stderr.write(`dermagan: ${(err as Error).message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`dermagan: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
