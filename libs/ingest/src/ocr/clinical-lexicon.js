'use strict';
/*
 * The clinical lexicon (lexicon/clinical-words.txt) put where tesseract can load it as "user words".
 *
 * Tesseract loads its dictionaries once, when the engine is initialized (user_words_file is read
 * by Dict::LoadLSTM, so it only counts in the init config), and the LSTM's beam search then prefers
 * dictionary words among the readings it finds nearly as likely: "HbA1c" over "HbAlc". The file
 * must be in the engine's in-memory file system before that first initialization, so it is written
 * there as the engine module is created. The pool decides whether tesseract uses it (its init
 * config); the file itself costs a few KB of the engine's memory. Plain JavaScript: the OCR thread
 * loads it.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

/** Where the words are in the engine's file system (the pool's CLINICAL_LEXICON_ENGINE_PATH). */
const CLINICAL_LEXICON_ENGINE_PATH = '/medrec-clinical-words';

/** The data file's words, one a line: its comments and blank lines dropped (tesseract would take them for words). */
function clinicalLexiconWords(file = join(__dirname, 'lexicon', 'clinical-words.txt')) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

let words;

/** An engine factory whose modules have the lexicon in their file system. */
function withClinicalLexicon(factory) {
  return (options) =>
    factory(options).then((engine) => {
      words ??= `${clinicalLexiconWords().join('\n')}\n`;
      engine.FS.writeFile(CLINICAL_LEXICON_ENGINE_PATH, words);
      return engine;
    });
}

module.exports = { CLINICAL_LEXICON_ENGINE_PATH, clinicalLexiconWords, withClinicalLexicon };
