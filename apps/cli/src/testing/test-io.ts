import { PassThrough, Writable } from 'node:stream';
import type { CliIo } from '../cli-io';

/** The CLI's streams for a spec: what it wrote to stdout and stderr, read back as text. */
export interface TestIo extends CliIo {
  /** A PassThrough, so a spec can write to it (or mark it a TTY) before the command reads it. */
  stdin: PassThrough & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  out(): string;
  err(): string;
}

/** A non-interactive run: an empty, ended stdin unless a spec replaces it. */
export function testIo(env: Record<string, string | undefined>): TestIo {
  const collect = () => {
    let text = '';
    const stream = new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    return { stream, text: () => text };
  };
  const stdout = collect();
  const stderr = collect();
  const stdin = new PassThrough();
  stdin.end();
  return { env, stdin, stdout: stdout.stream, stderr: stderr.stream, out: stdout.text, err: stderr.text };
}
