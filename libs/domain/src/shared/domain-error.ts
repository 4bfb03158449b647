/** The one error type of the domain layer. The HTTP layer maps `kind` to a status once. */
export type DomainErrorKind =
  | 'invalid' // 400: the command is malformed
  | 'forbidden' // 403: the actor may not do this
  | 'not-found' // 404
  | 'conflict' // 409: a rule forbids it in the current state (hold, archived, duplicate...)
  | 'gone'; // 410: the record was destroyed

export interface FieldError {
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly errors: FieldError[] = [],
    /** Non-PHI details safe to show to the client (e.g. the tombstone of a destroyed record). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static invalid(errors: FieldError[]): DomainError {
    return new DomainError('invalid', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
  }
}
