import { CloudEvent, ValidationError } from 'cloudevents';
import { z } from 'zod';

/** CloudEvents extension attributes dermagan sets on every event (lower-case alphanumerics, per spec §3.1.1). */
export interface EventExtensions {
  /** Federation tenant (hospital) the event belongs to; absent for central work. */
  tenant?: string;
  /** The run (study, training, federation) the event is part of. */
  runid?: string;
  /** Id of the event that caused this one. */
  causationid?: string;
}

/** A validated, frozen dermagan event: a CloudEvents 1.0 envelope with typed `data`. */
export type DermaganEvent<T> = Readonly<CloudEvent<T>> & { readonly data: T } & Readonly<EventExtensions>;

/** Event types are `org.dermagan.<thing>.<verb>.v<N>`. */
const TYPE_PATTERN = /^org\.dermagan\.[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+\.v[0-9]+$/;

/** Raised when an envelope or its data does not match the contract. Never retriable. */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface EventDefinition<S extends z.ZodType> {
  /** Full CloudEvents type, e.g. `org.dermagan.dataset.ingested.v1`. */
  readonly type: string;
  /** The zod schema of `data`. */
  readonly schema: S;
  /** Build a new event (fresh id and time), validating `data`. */
  create(data: z.input<S>, options?: CreateOptions): DermaganEvent<z.output<S>>;
  /** Validate an envelope received from a transport; throws ContractError with the reason. */
  parse(raw: unknown): DermaganEvent<z.output<S>>;
  /** True when the envelope has this definition's type. */
  is(raw: { type?: unknown }): boolean;
}

export interface CreateOptions extends EventExtensions {
  /** CloudEvents `source`; defaults to `/dermagan`. */
  source?: string;
  /** Fix the id (idempotent re-publication of the same logical event). */
  id?: string;
  /** The event that caused this one: copies its runid/tenant and sets causationid. */
  causedBy?: { id: string; runid?: string | undefined; tenant?: string | undefined };
}

/** Declare one event type and its data schema. */
export function defineEvent<S extends z.ZodType>(type: string, schema: S): EventDefinition<S> {
  if (!TYPE_PATTERN.test(type)) {
    throw new ContractError(`defineEvent: type "${type}" must look like org.dermagan.<thing>.<verb>.v1`);
  }
  const build = (attrs: Record<string, unknown>, data: unknown): DermaganEvent<z.output<S>> => {
    const result = schema.safeParse(data);
    if (!result.success) {
      throw new ContractError(`${type}: invalid data: ${z.prettifyError(result.error)}`, { cause: result.error });
    }
    try {
      return new CloudEvent({ ...attrs, type, data: result.data }, true) as DermaganEvent<z.output<S>>;
    } catch (err) {
      const detail = err instanceof ValidationError ? JSON.stringify(err.errors) : String(err);
      throw new ContractError(`${type}: invalid CloudEvents envelope: ${detail}`, { cause: err });
    }
  };
  return {
    type,
    schema,
    create(data, options = {}) {
      const { source = '/dermagan', id, causedBy, ...ext } = options;
      const attrs: Record<string, unknown> = { source };
      if (id) attrs.id = id;
      const runid = ext.runid ?? causedBy?.runid;
      const tenant = ext.tenant ?? causedBy?.tenant;
      const causationid = ext.causationid ?? causedBy?.id;
      if (runid) attrs.runid = runid;
      if (tenant) attrs.tenant = tenant;
      if (causationid) attrs.causationid = causationid;
      return build(attrs, data);
    },
    parse(raw) {
      if (typeof raw !== 'object' || raw === null) throw new ContractError(`${type}: envelope is not an object`);
      const { data, data_base64: _b64, ...attrs } = raw as Record<string, unknown>;
      if (attrs.type !== type) throw new ContractError(`expected event type ${type}, got ${String(attrs.type)}`);
      return build(attrs, data);
    },
    is(raw) {
      return raw.type === type;
    },
  };
}

/** Serialise an event for a transport (structured mode JSON). */
export function eventToJSON(event: DermaganEvent<unknown>): string {
  return JSON.stringify(event);
}

/** Parse a structured-mode JSON envelope without knowing its type (the bus routes on `type`). */
export function envelopeFromJSON(text: string): Record<string, unknown> & { id: string; type: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ContractError(`event is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof raw !== 'object' || raw === null) throw new ContractError('event is not a JSON object');
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== 'string' || typeof r.type !== 'string') {
    throw new ContractError('event lacks the CloudEvents "id" or "type" attribute');
  }
  return r as Record<string, unknown> & { id: string; type: string };
}
