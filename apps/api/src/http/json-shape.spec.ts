import { jsonShapeExcess, JsonShapeLimits } from './json-shape';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const nested = (depth: number, open: string, close: string) => open.repeat(depth) + '1' + close.repeat(depth);
const roomy: JsonShapeLimits = { maxDepth: 32, maxMembers: 1_000_000 };

describe('jsonShapeExcess', () => {
  it.each([
    ['objects', '{"a":', '}'],
    ['arrays', '[', ']'],
  ])('%s: exactly the depth limit passes, one more does not', (_, open, close) => {
    expect(jsonShapeExcess(bytes(nested(32, open, close)), roomy)).toBeUndefined();
    expect(jsonShapeExcess(bytes(nested(33, open, close)), roomy)).toBe('too-deep');
  });

  it('counts depth, not the number of brackets', () => {
    const wide = '[' + Array.from({ length: 10_000 }, () => '{"a":[1]}').join(',') + ']';
    expect(jsonShapeExcess(bytes(wide), { ...roomy, maxDepth: 3 })).toBeUndefined();
    expect(jsonShapeExcess(bytes(wide), { ...roomy, maxDepth: 2 })).toBe('too-deep');
  });

  it('counts every array element and object member, in all containers together', () => {
    const body = '{ "a": [1, 2, 3], "b": { "c": [ ] , "d": {} }, "e": [[]] }';
    // a, b, e; 1, 2, 3; c, d; []
    expect(jsonShapeExcess(bytes(body), { ...roomy, maxMembers: 9 })).toBeUndefined();
    expect(jsonShapeExcess(bytes(body), { ...roomy, maxMembers: 8 })).toBe('too-many-members');
    expect(jsonShapeExcess(bytes('[' + Array(10_001).fill('{}').join(',') + ']'), { ...roomy, maxMembers: 10_000 })).toBe('too-many-members');
    expect(jsonShapeExcess(bytes('[' + Array(10_000).fill('{}').join(',') + ']'), { ...roomy, maxMembers: 10_000 })).toBeUndefined();
  });

  it('ignores brackets and commas inside strings, escaped quotes included', () => {
    expect(jsonShapeExcess(bytes(`{"a":"${'[{,'.repeat(100)}","b":"\\"[[,[[["}`), { maxDepth: 1, maxMembers: 2 })).toBeUndefined();
    expect(jsonShapeExcess(bytes(`{"a":"\\\\",  "b":[[1]]}`), { ...roomy, maxDepth: 2 })).toBe('too-deep');
  });

  it('is not fooled by multi-byte characters or closers before openers', () => {
    expect(jsonShapeExcess(bytes(`{"é漢😀":["ü"]}`), { maxDepth: 2, maxMembers: 2 })).toBeUndefined();
    expect(jsonShapeExcess(bytes(']]]]' + '['.repeat(5)), { ...roomy, maxDepth: 4 })).toBe('too-deep');
  });

  it('reads a million levels without recursion', () => {
    expect(jsonShapeExcess(bytes('['.repeat(1_000_000)), roomy)).toBe('too-deep');
  });
});
