export * from './netpbm';
export * from './ocr-errors';
export * from './ocr-pool';
export * from './page-ocr';
