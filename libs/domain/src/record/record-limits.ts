/** The longest text each record field may hold (characters). The DTOs and messages use these too. */
export const MAX_TITLE = 300;
export const MAX_REASON = 2000;
export const MAX_DESCRIPTION = 2000;
export const MAX_AUTHORITY = 500;
export const MAX_MATTER = 300;
export const MAX_RECIPIENT_NAME = 200;
export const MAX_RECIPIENT_ADDRESS = 500;
export const MAX_RELEASE_PURPOSE = 200;
export const MAX_AUTHORIZATION_REFERENCE = 200;
/** A username as named in `approvedBy`. */
export const MAX_APPROVER = 100;
/** An OCR failure's reason as given, and as kept in OcrFailed. */
export const MAX_OCR_FAILURE_REASON = 5000;
export const MAX_STORED_OCR_FAILURE_REASON = 500;
/** The earliest date of birth accepted. */
export const EARLIEST_DATE_OF_BIRTH = '1880-01-01';
/** A patient's requested change, and a statement of denial, disagreement or rebuttal. */
export const MAX_REQUESTED_CHANGE = 5000;
export const MAX_STATEMENT = 5000;
