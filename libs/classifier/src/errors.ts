/**
 * Classifier errors. Bad input (an empty class, a dataset without labels, a model trained at
 * another size) is never worth retrying: `retriable` is false and the CLI maps it to exit code 2.
 */
export class ClassifierInputError extends Error {
  override readonly name = 'ClassifierInputError';
  readonly retriable = false;
}

/** Training was asked to stop (shutdown): the last finished epoch is checkpointed; asked again, it resumes there. */
export class ClassifierInterruptedError extends Error {
  override readonly name = 'ClassifierInterruptedError';
  readonly retriable = true;
}
