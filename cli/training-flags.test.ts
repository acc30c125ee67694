/** The training options' flags are made from the schema: one per field, parsed back through it. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { FederatedGanTrainingOptions, GanTrainingOptions } from '@dermagan/contracts';
import { addGanTrainingFlags, flagOf, ganTrainingOptionsFrom } from './training-flags.ts';

function parse(args: string[], options: Parameters<typeof addGanTrainingFlags>[1] = {}) {
  const command = addGanTrainingFlags(new Command().exitOverride(), options);
  command.parse(args, { from: 'user' });
  return command.opts();
}

describe('GAN training flags', () => {
  it('has a flag for every field of the schema', () => {
    const command = addGanTrainingFlags(new Command());
    const flags = command.options.map((o) => o.long);
    expect(flags.sort()).toEqual(Object.keys(GanTrainingOptions.shape).map((k) => flagOf(k as never)).sort());
    expect(flagOf('tickKimg')).toBe('--tick');
    expect(flagOf('cbase')).toBe('--cbase');
  });

  it('gives only what was typed (the engine fills the rest), numbers as numbers, booleans as flags', () => {
    const flags = parse(['--res', '32', '--kimg', '0.5', '--cond', '--aug', 'bg', '--tick', '0.25']);
    expect(ganTrainingOptionsFrom(flags, GanTrainingOptions)).toEqual({ res: 32, kimg: 0.5, cond: true, aug: 'bg', tickKimg: 0.25 });
  });

  it("applies the command's own defaults and leaves out what it omits", () => {
    const flags = parse(['--res', '16'], { omit: ['kimg', 'tickKimg'], defaults: { cfg: 'quick' } });
    expect(ganTrainingOptionsFrom(flags, FederatedGanTrainingOptions)).toEqual({ res: 16, cfg: 'quick' });
  });

  it('refuses a bad value naming the flag', () => {
    expect(() => ganTrainingOptionsFrom(parse(['--res', '48', '--kimg', '1']), GanTrainingOptions)).toThrow(/--res: resolution must be a power of two in \[16, 256\], got 48/);
    expect(() => ganTrainingOptionsFrom(parse(['--res', '16', '--kimg', '1', '--batch', '2.5']), GanTrainingOptions)).toThrow(/--batch: /);
    expect(() => parse(['--kimg', 'lots'])).toThrow(/--kimg must be a number, got "lots"/);
    expect(() => parse(['--aug', 'xyz'])).toThrow(/Allowed choices are bgc, bg, blit, geom, color, noaug/);
  });
});
