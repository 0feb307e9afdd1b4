/**
 * Runs the nephron CLI in-process, as `nephron …` would from a shell: its own stdout/stderr buffers, a chosen TTY
 * flag, NEPHRON_URL pointing at a test server. `onOut` sees stdout as it is written (e.g. to catch a sweep id).
 */
import { Writable } from 'node:stream';
import { main } from '../../src/cli';

export interface CliResult {
  code: number | undefined;
  out: string;
  err: string;
}

class Buffered extends Writable {
  text = '';
  constructor(private readonly onChunk?: (text: string, all: string) => void) {
    super();
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    this.onChunk?.(chunk.toString(), this.text);
    done();
  }
}

export function runCli(
  url: string,
  args: string[],
  options: { tty?: boolean; env?: Record<string, string>; onOut?: (all: string) => void } = {},
): Promise<CliResult> {
  const out = new Buffered((_, all) => options.onOut?.(all));
  const err = new Buffered();
  return main(args, { out, err, isTTY: options.tty ?? false, env: { NEPHRON_URL: url, ...options.env } }).then((code) => ({
    code,
    out: out.text,
    err: err.text,
  }));
}
