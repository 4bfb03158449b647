/**
 * The stages a document goes through between its upload's event and its OcrCompleted, timed for
 * monitoring (a closed set: they are metric labels). Pages overlap (several are rasterized,
 * queued and recognised at once), so the seconds of the stages add up to more than the wall time.
 */
export const OCR_STAGES = [
  /** From the upload's event (as the store recorded it) to the job's claim being taken. */
  'queued',
  /** The claim on the job's stream, and the check on the record's stream that it is still due. */
  'claim',
  /** The stored content read and decrypted. */
  'fetch',
  /** Starting the OCR pool (its workers and their model), when a document found it closed. */
  'pool-start',
  /** One page decoded (or rendered) and encoded for OCR. */
  'rasterize',
  /** One page waiting for an OCR worker. */
  'ocr-queue',
  /** One page recognised by an OCR worker. */
  'recognize',
  /** The text stored, encrypted. */
  'store-text',
  /** OcrCompleted (or OcrFailed) appended. */
  'complete',
  /** Waiting until the OCR jobs read model shows the job ended (the job's slot is held meanwhile). */
  'settle',
] as const;

export type OcrStage = (typeof OCR_STAGES)[number];

/** Called as each stage of a document or page ends, with how long it took. */
export type OcrStageListener = (stage: OcrStage, seconds: number) => void;

/** Seconds since `startedMs` (a performance.now() reading). */
export const secondsSince = (startedMs: number): number => (performance.now() - startedMs) / 1000;
