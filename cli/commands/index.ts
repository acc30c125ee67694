import type { Command } from 'commander';

/** Every subcommand's register function; each lives in its own file beside this one. */
export const commands: Array<(program: Command) => void> = [];
