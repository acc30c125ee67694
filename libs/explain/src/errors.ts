/**
 * Bad input to an explanation (a dataset of another size, an unknown direction, a model without
 * the layer a method needs): the caller's mistake, never retriable, and the message says what to do.
 */
export class ExplainInputError extends Error {
  override readonly name = 'ExplainInputError';
  readonly retriable = false;
}

/** Throw an ExplainInputError naming the function when `condition` is false. */
export function check(condition: unknown, where: string, message: () => string): asserts condition {
  if (!condition) throw new ExplainInputError(`Error in ${where}: ${message()}`);
}
