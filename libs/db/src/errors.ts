/**
 * Errors of the database layer. As everywhere in dermagan an error says whether retrying can help:
 * a server that does not answer may answer later; a constraint violation is a fact about the data.
 */
export class DatabaseError extends Error {
  override name = 'DatabaseError';
  constructor(
    message: string,
    /** True when the same call may succeed later (connection refused, server restarting). */
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A unique or primary-key constraint refused the row (SQLSTATE 23505). */
export class UniqueViolationError extends DatabaseError {
  override name = 'UniqueViolationError';
  constructor(
    /** The constraint's name, when the server gave it. */
    readonly constraint: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`unique constraint ${constraint ?? '(unnamed)'} refused a duplicate row`, false, options);
  }
}

/** A migration file differs from the one applied earlier, or cannot be applied. */
export class MigrationError extends DatabaseError {
  override name = 'MigrationError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, false, options);
  }
}

/** SQLSTATE classes a retry can help with: connection exceptions (08), insufficient resources (53), operator intervention (57), serialization (40). */
const RETRIABLE_CLASSES = ['08', '53', '57', '40'];
const RETRIABLE_CODES = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'];

/** Turn a driver error into a DatabaseError with `retriable` set, keeping the cause. */
export function classifyError(err: unknown, where: string): DatabaseError {
  if (err instanceof DatabaseError) return err;
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code === '23505') return new UniqueViolationError(typeof e.constraint === 'string' ? e.constraint : undefined, { cause: err });
  const retriable = RETRIABLE_CODES.includes(code) || (code.length === 5 && RETRIABLE_CLASSES.includes(code.slice(0, 2)));
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return new DatabaseError(`${where}: ${message}${code ? ` (${code})` : ''}`, retriable, { cause: err });
}
