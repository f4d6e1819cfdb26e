/**
 * Runs the genlab CLI for the CLI tests, in a scratch folder: in this process (main(), the function
 * bin/genlab.js calls), or as a user would, in a child process. A child pays Node, TensorFlow.js
 * and wasm start-up (1-2 s) for every command, so tests spawn one only where the process itself is
 * the subject (the bin script, exit codes on signals).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';

// The CLI trains on one thread per core by default (--workers auto); the tests' runs are tiny, and a
// worker engine per run would cost more than it saves, so they train on one thread unless they say
// otherwise (test/cli/workers.test.ts tests auto). Children started by cliRunner inherit it.
process.env.GENLAB_WORKERS ??= '1';

export const bin = path.join(fileURLToPath(new URL('../../../', import.meta.url)), 'bin', 'genlab.js');

export interface CliRunner {
  /** The scratch folder the commands run in. */
  tmp: string;
  /** Exit status, stdout and stderr of `genlab ...args`. */
  genlab(...args: string[]): { code: number | null; stdout: string; stderr: string };
  /** The parsed stdout of `genlab ...args`, which must succeed (pass --json). */
  json(...args: string[]): any;
}

/** `genlab ...args` in a child process, as a user runs it. */
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
  // The command line as bin/genlab.js sees it: eval records keep it (commandLine()).
  const { argv } = process;
  process.argv = [process.execPath, bin, ...args];
  let code: number;
  try {
    code = await main(args);
  } catch (e) {
    code = 1;
    stderr += (e as Error).stack;
  } finally {
    process.stdout.write = outWrite;
    process.stderr.write = errWrite;
    process.argv = argv;
  }
  return { code, stdout, stderr };
}

export interface InProcessRunner {
  /** The scratch folder the commands run in (their working directory). */
  tmp: string;
  /** Exit status, stdout and stderr of `genlab ...args`, run in this process. */
  genlab(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The parsed stdout of `genlab ...args`, which must succeed (pass --json). */
  json(...args: string[]): Promise<any>;
}

/**
 * cliRunner's commands run in this process: relative paths resolve in the scratch folder, as in a
 * child started there (the working directory is restored after each command; node:test runs a
 * file's tests one after another, so no two commands overlap).
 */
export function inProcessRunner(prefix: string): InProcessRunner {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const genlab = async (...args: string[]) => {
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      return await genlabInProcess(...args);
    } finally {
      process.chdir(cwd);
    }
  };
  const json = async (...args: string[]) => {
    const r = await genlab(...args);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  return { tmp, genlab, json };
}
