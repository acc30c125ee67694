/**
 * The GAN training options as command-line flags, made from the one schema
 * (@dermagan/contracts GanTrainingOptions): each field becomes a flag (`--tick` where the schema's
 * meta names it, else the kebab-case field name) with the schema's help line and the engine's
 * default (libs/gan GAN_TRAINING_DEFAULTS) shown; the values go back through the schema, so a bad
 * one is refused with the flag's name. A new training option shows up here by itself.
 */
import { Option, type Command } from 'commander';
import { GanTrainingOptions, type OptionMeta } from '@dermagan/contracts';
import { GAN_TRAINING_DEFAULTS } from '@dermagan/gan';
import type { z } from 'zod';
import { UserError } from './output.ts';

export type GanOptionKey = keyof typeof GanTrainingOptions.shape;

const KEYS = Object.keys(GanTrainingOptions.shape) as GanOptionKey[];

/** The zod type under optional/default wrappers. */
function inner(field: z.ZodType): z.ZodType {
  let t = field as z.ZodType & { def: { innerType?: z.ZodType } };
  while (t.def.innerType) t = t.def.innerType as typeof t;
  return t;
}

function metaOf(key: GanOptionKey): OptionMeta {
  const meta = GanTrainingOptions.shape[key].meta() as OptionMeta | undefined;
  if (!meta?.description) throw new Error(`GanTrainingOptions.${key} has no meta.description (the CLI help line)`);
  return meta;
}

/** `--tick` for tickKimg (the schema's meta.flag), else `--cbase`, `--zdim`, … */
export function flagOf(key: GanOptionKey): string {
  return `--${metaOf(key).flag ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Commander's property name of a flag (`--tick-kimg` → tickKimg). */
function attributeOf(key: GanOptionKey): string {
  return flagOf(key).slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export interface GanFlagsOptions {
  /** Options this command does not take (e.g. kimg for a federation). */
  omit?: readonly GanOptionKey[];
  /** Options this command requires. */
  required?: readonly GanOptionKey[];
  /** This command's own defaults (applied), e.g. cfg 'quick' for federate. */
  defaults?: Partial<GanTrainingOptions>;
}

/** Add a flag per GAN training option. */
export function addGanTrainingFlags(command: Command, options: GanFlagsOptions = {}): Command {
  for (const key of KEYS) {
    if (options.omit?.includes(key)) continue;
    const meta = metaOf(key);
    const type = inner(GanTrainingOptions.shape[key]) as z.ZodType & { options?: readonly string[]; def: { type: string } };
    const flag = flagOf(key);
    const option = new Option(type.def.type === 'boolean' ? flag : `${flag} ${meta.arg ?? '<value>'}`, meta.description);
    if (type.def.type === 'enum') option.choices([...(type.options ?? [])]);
    if (type.def.type === 'number') {
      option.argParser((v: string) => {
        const n = Number(v);
        if (v.trim() === '' || !Number.isFinite(n)) throw new UserError(`${flag} must be a number, got "${v}"`);
        return n;
      });
    }
    const own = options.defaults?.[key];
    const table = (GAN_TRAINING_DEFAULTS as Record<string, unknown>)[key];
    if (own !== undefined) option.default(own);
    else if (table !== undefined && type.def.type !== 'boolean') option.default(undefined, String(table));
    if (options.required?.includes(key)) option.makeOptionMandatory();
    command.addOption(option);
  }
  return command;
}

/** The training options the flags give (absent ones stay absent: the engine's defaults apply), checked by the schema. */
export function ganTrainingOptionsFrom<S extends z.ZodType<Partial<GanTrainingOptions>>>(flags: Record<string, unknown>, schema: S): z.output<S> {
  const given = Object.fromEntries(KEYS.map((k) => [k, flags[attributeOf(k)]]).filter(([, v]) => v !== undefined));
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    throw new UserError(
      parsed.error.issues
        .map((i) => {
          const key = i.path[0] as GanOptionKey | undefined;
          return `${key && KEYS.includes(key) ? flagOf(key) : 'training options'}: ${i.message}`;
        })
        .join('\n'),
    );
  }
  return parsed.data;
}
