import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/ingest/analysis-worker-main.ts');

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it has written. */
  output(): string;
  /** Resolves when its output matches `pattern`. */
  saw(pattern: RegExp): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `node src/ingest/analysis-worker-main.ts` as a child process, resolved once it says it is ready. */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const watchers: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer): void => {
    text += chunk.toString();
    for (const w of watchers.splice(0)) {
      if (w.pattern.test(text)) w.resolve();
      else watchers.push(w);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const saw = (pattern: RegExp): Promise<void> =>
    pattern.test(text)
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          watchers.push({ pattern, resolve });
          child.once('exit', (code) =>
            reject(new Error(`the worker exited (${code}) before printing ${pattern}:\n${text}`)),
          );
        });
  const worker: WorkerProcess = {
    child,
    output: () => text,
    saw,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
  await saw(/ready:/);
  return worker;
}
