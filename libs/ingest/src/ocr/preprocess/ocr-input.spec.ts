import { encodePbm, encodePgm } from '../netpbm';
import { OCR_PREPROCESS_OPTION } from '../ocr-pool';
import { PREPROCESS_OPTION, PREPROCESSING, preprocessRecognizeRequest } from './ocr-input';

const pixels = { data: new Uint8Array([0, 255, 255, 0]), width: 2, height: 2 };

describe('preprocessRecognizeRequest', () => {
  it('is driven by the option the pool sends, with the same choices', () => {
    expect(PREPROCESS_OPTION).toBe(OCR_PREPROCESS_OPTION);
    expect([...PREPROCESSING].sort()).toEqual(['none', 'smooth-bilevel']);
  });

  it('smooths a bilevel page and takes its option out of what tesseract gets', () => {
    const payload = { image: encodePbm(pixels), options: { [PREPROCESS_OPTION]: 'smooth-bilevel', user_defined_dpi: '200' } as Record<string, unknown> };
    preprocessRecognizeRequest(payload);
    expect(payload.options).toEqual({ user_defined_dpi: '200' });
    expect(Buffer.from(payload.image).toString('latin1', 0, 2)).toBe('P5');
  });

  it('leaves greyscale pages, and every page under "none", as they are', () => {
    const grey = encodePgm(pixels);
    const greyPayload = { image: grey, options: { [PREPROCESS_OPTION]: 'smooth-bilevel' } as Record<string, unknown> };
    preprocessRecognizeRequest(greyPayload);
    expect(greyPayload.image).toBe(grey);

    const bilevel = encodePbm(pixels);
    const nonePayload = { image: bilevel, options: { [PREPROCESS_OPTION]: 'none' } as Record<string, unknown> };
    preprocessRecognizeRequest(nonePayload);
    expect(nonePayload.image).toBe(bilevel);
    expect(nonePayload.options).toEqual({});
  });
});
