export { decodeSheetCodes, type GrayPage } from './decode-sheet-codes';
export { ZXING_READER_WASM } from './zxing-reader';
