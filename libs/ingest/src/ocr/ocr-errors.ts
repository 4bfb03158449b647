/** Errors of the OCR pool. Messages never carry page content. */
export class OcrError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** More pages are waiting than the pool accepts: the caller should retry after some complete. */
export class OcrQueueFullError extends OcrError {}

/** The pool was closed before (or while) the page was waiting. */
export class OcrPoolClosedError extends OcrError {}

/** The page took longer than the pool's page timeout; its worker was replaced. */
export class OcrTimeoutError extends OcrError {}

/** Tesseract failed on the page (unreadable image, engine crash) or could not start. */
export class OcrEngineError extends OcrError {}
