/** Bad input to a projection or an audit (mismatched checkpoint and data, a foreign output folder): retrying cannot help. */
export class ProjectorError extends Error {
  override readonly name = 'ProjectorError';
  readonly retriable = false;
}
