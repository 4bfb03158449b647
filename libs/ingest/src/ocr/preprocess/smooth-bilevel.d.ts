/** Width, height and pixel offset of a binary PBM (P4), or undefined when `image` is not one. */
export function parsePbmHeader(image: Uint8Array): { width: number; height: number; offset: number } | undefined;

/**
 * The page smoothed for OCR (binomial 1-2-1 in both directions) as an 8-bit PGM (P5) of the same
 * size, or undefined when `image` is not a PBM.
 */
export function smoothBilevelPage(image: Uint8Array): Buffer | undefined;
