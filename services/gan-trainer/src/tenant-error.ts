/** Raised when a tenant cannot train a round yet (retriable) or at all. */
export class TenantError extends Error {
  override readonly name = 'TenantError';
  constructor(message: string, readonly retriable: boolean) {
    super(message);
  }
}
