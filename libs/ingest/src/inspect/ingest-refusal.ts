export type IngestRefusalReason =
  | 'empty'
  | 'too-large'
  | 'unsupported-type'
  | 'corrupt'
  | 'encrypted'
  | 'too-many-pages'
  | 'too-many-pixels'
  | 'page-too-narrow'
  | 'page-too-elongated'
  | 'inspection-timeout';

export type IngestRefusalStatus = 413 | 415 | 422;

const STATUS_BY_REASON: Record<IngestRefusalReason, IngestRefusalStatus> = {
  empty: 422,
  'too-large': 413,
  'unsupported-type': 415,
  corrupt: 422,
  encrypted: 422,
  'too-many-pages': 422,
  'too-many-pixels': 422,
  'page-too-narrow': 422,
  'page-too-elongated': 422,
  'inspection-timeout': 422,
};

/**
 * An upload refused by inspection. The message is shown to the client as is: it must never quote
 * the file name, its content or a third-party error text (they may carry PHI).
 */
export class IngestRefusal extends Error {
  readonly status: IngestRefusalStatus;

  constructor(
    readonly reason: IngestRefusalReason,
    message: string,
  ) {
    super(message);
    this.name = 'IngestRefusal';
    this.status = STATUS_BY_REASON[reason];
  }
}
