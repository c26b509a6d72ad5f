// Calls from a thread to a worker thread and their answers: WorkerCalls on the calling side, serve() in the worker.
import { parentPort } from 'node:worker_threads';
import type { MessagePort, Transferable, Worker } from 'node:worker_threads';
import { UserFacingError } from './user-facing-error.ts';

/** What a worker answers: each method takes one payload and returns its result (the worker may return it as a promise). */
export type WorkerApi<Api> = { [M in keyof Api]: (payload: never) => unknown };
type PayloadOf<F> = F extends (payload: infer P) => unknown ? P : never;
type ResultOf<F> = F extends (payload: never) => infer R ? R : never;

/** A result handed over rather than copied: the buffers in `list` move to the caller's thread. */
class Transferring<T> {
  readonly value: T;
  readonly list: readonly Transferable[];

  constructor(value: T, list: readonly Transferable[]) {
    this.value = value;
    this.list = list;
  }
}
export function transferring<T>(value: T, list: readonly Transferable[]): Transferring<T> {
  return new Transferring(value, list);
}

type Answer<R> = R | Transferring<R>;
/** The worker's side of `Api`: each handler also gets a signal, aborted when the caller cancels the call. */
export type Handlers<Api extends WorkerApi<Api>> = {
  [M in keyof Api]: (
    payload: PayloadOf<Api[M]>,
    signal: AbortSignal,
  ) => Answer<ResultOf<Api[M]>> | Promise<Answer<ResultOf<Api[M]>>>;
};

/** An error as it crosses between threads: what a caller needs to tell it apart and to show it. */
export interface SentError {
  name: string;
  message: string;
  code?: string;
}
type Request = { id?: number; method: string; payload: unknown } | { cancel: number };
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SentError };

export interface WorkerCallsOptions {
  /** The error awaiting calls fail with when the thread exits. */
  exited: (code: number) => Error;
  /** The error they fail with when the thread throws (an uncaught error, a failed start). Default: what it threw. */
  crashed?: (error: Error) => Error;
  /** Told once the thread is gone on its own (not by terminate), after the calls awaiting it failed. */
  onLost?: (error: Error) => void;
  /** Errors of these names come back as their own class; any other as an Error, a UserFacingError if it has a code. */
  revive?: Readonly<Record<string, (message: string, code: string | undefined) => Error>>;
  /** What a cancelled call rejects with. */
  cancelled?: () => Error;
  /** The thread keeps the process alive only while a call awaits its answer. */
  unrefWhenIdle?: boolean;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * The calling side of a worker that runs serve(): each call gets an id and a promise of its answer; an error the
 * worker threw comes back with its name, code and message; a call whose signal aborts is cancelled in the worker too;
 * and when the thread fails or exits, every call still awaiting an answer fails with why.
 */
export class WorkerCalls<Api extends WorkerApi<Api>> {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private gone: Error | undefined;
  readonly worker: Worker;
  private readonly options: WorkerCallsOptions;

  constructor(worker: Worker, options: WorkerCallsOptions) {
    this.worker = worker;
    this.options = options;
    if (options.unrefWhenIdle) worker.unref();
    worker.on('message', (reply: Reply) => this.answer(reply));
    worker.on('error', (error) => this.lose(options.crashed?.(error) ?? error, true));
    worker.on('exit', (code) => this.lose(options.exited(code), true));
  }

  /** Why the thread is gone (failed, exited or terminated), or undefined while it runs. */
  get lost(): Error | undefined {
    return this.gone;
  }

  /** Calls awaiting an answer. */
  get awaiting(): number {
    return this.pending.size;
  }

  call<M extends keyof Api & string>(
    method: M,
    payload: PayloadOf<Api[M]>,
    options: { transfer?: readonly Transferable[]; signal?: AbortSignal } = {},
  ): Promise<Awaited<ResultOf<Api[M]>>> {
    if (this.gone) return Promise.reject(this.gone);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(this.cancelled());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const cancel = (): void => {
        if (!this.settle(id)) return;
        this.worker.postMessage({ cancel: id } satisfies Request);
        reject(this.cancelled());
      };
      const settled =
        <A>(then: (arg: A) => void) =>
        (arg: A): void => {
          signal?.removeEventListener('abort', cancel);
          then(arg);
        };
      if (this.pending.size === 0 && this.options.unrefWhenIdle) this.worker.ref();
      this.pending.set(id, { resolve: settled(resolve as (value: unknown) => void), reject: settled(reject) });
      signal?.addEventListener('abort', cancel, { once: true });
      this.worker.postMessage({ id, method, payload } satisfies Request, options.transfer);
    });
  }

  /** A message with no answer (the worker's handler runs, its result is dropped); nothing once the thread is gone. */
  notify<M extends keyof Api & string>(
    method: M,
    payload: PayloadOf<Api[M]>,
    transfer?: readonly Transferable[],
  ): void {
    if (!this.gone) this.worker.postMessage({ method, payload } satisfies Request, transfer);
  }

  /** Ends the thread; the calls awaiting an answer fail with `why`. */
  async terminate(why: Error): Promise<void> {
    this.lose(why, false);
    await this.worker.terminate();
  }

  private answer(reply: Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.settle(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(this.revived(reply.error));
  }

  /** Forgets a call; false when it was answered or cancelled already. */
  private settle(id: number): boolean {
    if (!this.pending.delete(id)) return false;
    if (this.pending.size === 0 && this.options.unrefWhenIdle) this.worker.unref();
    return true;
  }

  private lose(error: Error, tell: boolean): void {
    if (this.gone) return;
    this.gone = error;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
    if (tell) this.options.onLost?.(error);
  }

  private revived(sent: SentError): Error {
    const own = this.options.revive?.[sent.name];
    if (own) return own(sent.message, sent.code);
    if (sent.code !== undefined) return new UserFacingError(sent.code, sent.message, sent.name);
    const error = new Error(sent.message);
    error.name = sent.name;
    return error;
  }

  private cancelled(): Error {
    return this.options.cancelled?.() ?? new Error('the call was cancelled');
  }
}

function sentError(error: unknown): SentError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}

/**
 * The worker's side of WorkerCalls: answers each call with its handler's result, or the error it threw. A handler that
 * answers at once is answered at once (no turn of the event loop); a cancelled call's signal aborts and it gets no
 * answer. A handler that throws on a notification (a message with no answer) throws out of the thread, as an
 * uncaught error: the caller's calls fail with it.
 */
export function serve<Api extends WorkerApi<Api>>(
  handlers: Handlers<Api>,
  port: MessagePort | null = parentPort,
): void {
  if (!port) throw new Error('serve() runs in a worker thread');
  const running = new Map<number, AbortController>();
  const handler = (method: string) =>
    handlers[method as keyof Api] as (payload: unknown, signal: AbortSignal) => unknown;
  const reply = (id: number, cancel: AbortController, answer: unknown): void => {
    running.delete(id);
    if (cancel.signal.aborted) return;
    if (answer instanceof Transferring)
      port.postMessage({ id, ok: true, value: answer.value } satisfies Reply, answer.list);
    else port.postMessage({ id, ok: true, value: answer } satisfies Reply);
  };
  const fail = (id: number, cancel: AbortController, error: unknown): void => {
    running.delete(id);
    if (!cancel.signal.aborted) port.postMessage({ id, ok: false, error: sentError(error) } satisfies Reply);
  };
  port.on('message', (request: Request) => {
    if ('cancel' in request) return running.get(request.cancel)?.abort();
    const { id } = request;
    if (id === undefined) return void handler(request.method)(request.payload, new AbortController().signal);
    const cancel = new AbortController();
    running.set(id, cancel);
    try {
      const answer = handler(request.method)(request.payload, cancel.signal);
      if (answer instanceof Promise)
        answer.then(
          (value: unknown) => reply(id, cancel, value),
          (error: unknown) => fail(id, cancel, error),
        );
      else reply(id, cancel, answer);
    } catch (error) {
      fail(id, cancel, error);
    }
  });
}
