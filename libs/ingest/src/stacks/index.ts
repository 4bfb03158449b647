export { extractPages, type ExtractedDocument } from './extract-pages';
export { scanStackPages, type ScannedPage } from './scan-stack-pages';
