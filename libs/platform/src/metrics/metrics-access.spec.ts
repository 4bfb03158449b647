import { metricsAccess } from './metrics-access';

const TOKEN = 'a'.repeat(40);

describe('metricsAccess', () => {
  it('without a token: loopback clients only, and none that came through a proxy', () => {
    for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) expect(metricsAccess(undefined, { remoteAddress, headers: {} })).toBe('allowed');
    expect(metricsAccess(undefined, { remoteAddress: '10.0.0.5', headers: {} })).toBe('forbidden');
    expect(metricsAccess(undefined, { remoteAddress: undefined, headers: {} })).toBe('forbidden');
    expect(metricsAccess(undefined, { remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '198.51.100.1' } })).toBe('forbidden');
    expect(metricsAccess(undefined, { remoteAddress: '127.0.0.1', headers: { forwarded: 'for=198.51.100.1' } })).toBe('forbidden');
  });

  it('with a token: whoever sends it as a bearer token, wherever from', () => {
    expect(metricsAccess(TOKEN, { remoteAddress: '10.0.0.5', headers: { authorization: `Bearer ${TOKEN}` } })).toBe('allowed');
    expect(metricsAccess(TOKEN, { remoteAddress: '127.0.0.1', headers: {} })).toBe('unauthorized');
    expect(metricsAccess(TOKEN, { remoteAddress: '127.0.0.1', headers: { authorization: `Bearer ${TOKEN}b` } })).toBe('unauthorized');
    expect(metricsAccess(TOKEN, { remoteAddress: '127.0.0.1', headers: { authorization: `Basic ${TOKEN}` } })).toBe('unauthorized');
    expect(metricsAccess(TOKEN, { remoteAddress: '127.0.0.1', headers: { authorization: `Bearer ${TOKEN.slice(1)}` } })).toBe('unauthorized');
  });
});
