/** Runs the genlab CLI as a user would (a child process in a scratch folder), for the CLI tests. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';

export const bin = path.join(fileURLToPath(new URL('../../../', import.meta.url)), 'bin', 'genlab.js');

export interface CliRunner {
  /** The scratch folder the commands run in. */
  tmp: string;
  /** Exit status, stdout and stderr of `genlab ...args`. */
  genlab(...args: string[]): { code: number | null; stdout: string; stderr: string };
  /** The parsed stdout of `genlab ...args`, which must succeed (pass --json). */
  json(...args: string[]): any;
}

export function cliRunner(prefix: string): CliRunner {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const genlab = (...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: tmp });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const json = (...args: string[]) => {
    const r = genlab(...args);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  return { tmp, genlab, json };
}

/** Exit status, stdout and stderr of `genlab ...args`, run in this process (strings captured, buffers passed on): no start-up cost. */
export async function genlabInProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const { write: outWrite } = process.stdout;
  const { write: errWrite } = process.stderr;
  const capture = (stream: NodeJS.WriteStream, write: typeof process.stdout.write, add: (text: string) => void) =>
    ((chunk: string | Uint8Array, ...rest: never[]) => {
      if (typeof chunk !== 'string') return write.call(stream, chunk, ...rest);
      add(chunk);
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(process.stdout, outWrite, (text) => (stdout += text));
  process.stderr.write = capture(process.stderr, errWrite, (text) => (stderr += text));
  let code: number;
  try {
    code = await main(args);
  } catch (e) {
    code = 1;
    stderr += (e as Error).stack;
  } finally {
    process.stdout.write = outWrite;
    process.stderr.write = errWrite;
  }
  return { code, stdout, stderr };
}
