/**
 * The one error ingest throws for a source it cannot use at all (missing or malformed CSV, missing
 * image folder, bad options). Problems with single images are never errors: they are quarantine
 * entries. Retrying cannot help, so `retriable` is false (a service sends the event to the dead
 * letter topic; the CLI maps it to a user error, exit code 2).
 */
export class IngestError extends Error {
  override readonly name = 'IngestError';
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
