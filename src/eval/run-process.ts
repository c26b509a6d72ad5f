import { execFile } from 'node:child_process';

export interface ProcessOutput {
  stdout: string;
  stderr: string;
}

/** Why a child process did not succeed; `notFound` means the executable is not installed. */
export class ProcessFailure extends Error {
  readonly notFound: boolean;
  readonly timedOut: boolean;
  readonly stderr: string;

  constructor(message: string, details: { notFound: boolean; timedOut: boolean; stderr: string }) {
    super(message);
    this.name = 'ProcessFailure';
    this.notFound = details.notFound;
    this.timedOut = details.timedOut;
    this.stderr = details.stderr;
  }
}

/** Runs an executable without a shell; it is SIGKILLed once `timeoutMs` has passed. */
export function runProcess(command: string, args: readonly string[], timeoutMs: number): Promise<ProcessOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ stdout, stderr });
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
        const notFound = e.code === 'ENOENT';
        const timedOut = e.killed === true && e.signal === 'SIGKILL';
        const lastLine = stderr.trim().split('\n').pop() ?? '';
        const reason = notFound
          ? 'not found'
          : timedOut
            ? `timed out after ${timeoutMs} ms`
            : `failed (${e.code ?? e.signal ?? 'error'}): ${lastLine}`;
        reject(new ProcessFailure(`${command} ${reason}`, { notFound, timedOut, stderr }));
      },
    );
  });
}
