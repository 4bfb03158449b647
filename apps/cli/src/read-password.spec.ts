import { PassThrough, Writable } from 'node:stream';
import type { CliIo } from './cli-io';
import { readSignInPassword, requirePasswordSource } from './read-password';

function io(env: Record<string, string>, typed?: string): CliIo & { err(): string } {
  let err = '';
  const stdin: PassThrough & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown } = new PassThrough();
  if (typed === undefined) stdin.end();
  else {
    stdin.isTTY = true;
    stdin.setRawMode = () => undefined;
    stdin.write(typed);
  }
  const stderr = new Writable({ write: (chunk: Buffer, _encoding, done) => ((err += chunk.toString()), done()) });
  return { env, stdin, stdout: new Writable({ write: (_c, _e, done) => done() }), stderr, err: () => err };
}

describe('readSignInPassword (ingest)', () => {
  const source = { fromStdin: false, username: 'clerk1' };

  it('reads MEDREC_PASSWORD, and the former MEDREC_USER_PASSWORD with a warning', async () => {
    const current = io({ MEDREC_PASSWORD: 'secret-one' });
    await expect(readSignInPassword(current, source)).resolves.toBe('secret-one');
    expect(current.err()).toBe('');

    const former = io({ MEDREC_USER_PASSWORD: 'secret-two' });
    await expect(readSignInPassword(former, source)).resolves.toBe('secret-two');
    expect(former.err()).toMatch(/^warning: MEDREC_USER_PASSWORD is deprecated .* set MEDREC_PASSWORD instead\n$/);
  });

  it('prompts once on a terminal, without echo, through the shared prompt', async () => {
    const terminal = io({}, 'typed-secret\r');
    await expect(readSignInPassword(terminal, source)).resolves.toBe('typed-secret');
    expect(terminal.err()).toBe('Password for clerk1: \n');
  });

  it('names MEDREC_PASSWORD when there is no source at all', () => {
    expect(() => requirePasswordSource(io({}), source)).toThrow(
      'No password for clerk1: pipe it with --password-stdin, set MEDREC_PASSWORD, or run in a terminal to be prompted',
    );
  });
});
