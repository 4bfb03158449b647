/** Where the clinical lexicon is in an OCR engine's file system. */
export const CLINICAL_LEXICON_ENGINE_PATH: string;

/** The lexicon's words (the data file without its comments), or those of another file in that format. */
export function clinicalLexiconWords(file?: string): string[];

/** An engine factory whose modules have the lexicon in their file system. */
export function withClinicalLexicon<Engine extends { FS: { writeFile(path: string, data: string): void } }>(
  factory: (options: object) => Promise<Engine>,
): (options: object) => Promise<Engine>;
