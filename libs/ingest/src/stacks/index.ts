export { extractPages, type ExtractedDocument, openStackPages, type StackPages } from './extract-pages';
export { scanStackPages, type ScannedPage } from './scan-stack-pages';
