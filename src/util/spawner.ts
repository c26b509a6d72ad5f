import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { setting } from './config.ts';

export type SpawnerRequest =
  | { type: 'spawn'; id: number; command: string; args: string[]; socket: string; nice: number }
  | { type: 'kill'; id: number };
/** `output`: the decoder's output connection was opened (its id sent), so its output is still to come in whole. */
export type SpawnerReply = {
  type: 'exit';
  id: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  error?: string;
  output?: true;
};

/** What a deck needs of a child process: its output, its messages, its end, and a way to stop it. */
export interface DecoderProcess extends EventEmitter {
  /** Set at once by a direct spawn; a decoder started by the spawner has none here. */
  readonly pid?: number | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  kill(signal?: NodeJS.Signals): boolean;
}

/**
 * Starts decoders (ffmpeg reading a file, writing to stdout) through one small helper process (spawner-process.ts)
 * instead of forking this one. Forking a process copies its page tables and write-protects its memory until the child
 * execs: measured here, a spawn from a 430 MB Node process blocked the calling thread 50 ms (median, 95 ms max, on a
 * loaded 2-core machine), and a spawn from a worker thread stalls the event loop's page faults meanwhile — the live
 * sets' 20 ms audio cycle. The helper is ~40 MB and forks in a fraction of that. Each decoder's stdout is a Unix socket
 * connection to this process; its stderr, exit code and signal come back when it ends.
 */
class Spawner {
  private helper?: ChildProcess;
  private server?: Server;
  private socketPath = '';
  private listening?: Promise<void>;
  private nextId = 1;
  private readonly live = new Map<number, SpawnedDecoder>();

  private start(): Promise<void> {
    if (this.listening && this.helper && this.helper.connected) return this.listening;
    this.socketPath = path.join(tmpdir(), `minidj-spawner-${process.pid}-${Date.now()}.sock`);
    const server = createServer((socket) => this.adopt(socket));
    server.unref();
    this.server = server;
    this.listening = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
    });
    const helper = spawn(process.execPath, [fileURLToPath(new URL('./spawner-process.ts', import.meta.url))], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    helper.unref();
    helper.channel?.unref();
    helper.on('message', (reply: SpawnerReply) => this.live.get(reply.id)?.exited(reply));
    const lost = (): void => {
      if (this.helper !== helper) return;
      this.helper = undefined;
      for (const d of this.live.values())
        d.exited({ type: 'exit', id: 0, code: null, signal: null, stderr: '', error: 'the decoder spawner stopped' });
    };
    helper.on('exit', lost);
    helper.on('error', lost);
    this.helper = helper;
    process.once('exit', () => {
      try {
        unlinkSync(this.socketPath);
      } catch {
        // Already gone.
      }
    });
    return this.listening;
  }

  private adopt(socket: Socket): void {
    const take = (): void => {
      const header = socket.read(4) as Buffer | null;
      if (header === null) {
        socket.once('readable', take);
        return;
      }
      const decoder = this.live.get(header.readUInt32LE(0));
      if (!decoder) socket.destroy();
      else decoder.connected(socket);
    };
    take();
  }

  /** Starts the helper now, so the first decoder does not wait for it (a Node process's start: seconds under load). */
  prestart(): void {
    // A helper that cannot start fails again, and is reported, on the first decoder's own start.
    void this.start().catch(() => undefined);
  }

  spawn(command: string, args: string[], nice: number): DecoderProcess {
    const id = this.nextId++;
    const decoder = new SpawnedDecoder(
      id,
      (req) => this.helper?.send(req),
      () => {
        this.live.delete(id);
        // No decoder running: the helper does not keep this process alive.
        if (this.live.size === 0) this.helper?.channel?.unref();
      },
    );
    this.live.set(id, decoder);
    this.start().then(
      () => {
        if (decoder.killed) decoder.exited({ type: 'exit', id, code: null, signal: 'SIGKILL', stderr: '' });
        else {
          // While a decoder runs, its exit is awaited over the channel.
          this.helper!.channel?.ref();
          this.helper!.send({
            type: 'spawn',
            id,
            command,
            args,
            socket: this.socketPath,
            nice,
          } satisfies SpawnerRequest);
        }
      },
      (error: Error) =>
        decoder.exited({ type: 'exit', id, code: null, signal: null, stderr: '', error: error.message }),
    );
    return decoder;
  }
}

class SpawnedDecoder extends EventEmitter implements DecoderProcess {
  readonly stdout = new PassThrough({ highWaterMark: 256 * 1024 });
  readonly stderr = new PassThrough();
  killed = false;
  private exit?: SpawnerReply;
  private outputEnded = false;
  private socket?: Socket;

  private readonly id: number;
  private readonly send: (req: SpawnerRequest) => void;
  private readonly forget: () => void;

  constructor(id: number, send: (req: SpawnerRequest) => void, forget: () => void) {
    super();
    this.id = id;
    this.send = send;
    this.forget = forget;
  }

  connected(socket: Socket): void {
    this.socket = socket;
    if (this.killed) socket.destroy();
    // A reset connection ends the output; the decoder's exit (from the helper) says how it ended.
    socket.on('error', () => undefined);
    socket.on('end', () => {
      this.outputEnded = true;
      this.finish();
    });
    socket.on('close', () => {
      this.outputEnded = true;
      this.finish();
    });
    socket.pipe(this.stdout, { end: false });
  }

  exited(reply: SpawnerReply): void {
    this.exit = reply;
    if (reply.error) {
      this.outputEnded = true;
      this.emit('error', new Error(reply.error));
    }
    // A decoder whose output was never connected (the helper could not, or it was killed first) has none to wait for.
    // One that was may exit before this process takes up the connection: its output is waited for.
    if (!this.socket && !reply.output) this.outputEnded = true;
    this.finish();
  }

  /** 'close' once the decoder has exited and all its output is in, as a child process's. */
  private finish(): void {
    if (!this.exit || !this.outputEnded) return;
    const exit = this.exit;
    this.exit = undefined;
    this.forget();
    if (exit.stderr) this.stderr.write(exit.stderr);
    this.stderr.end();
    this.stdout.end();
    this.emit('close', exit.code, exit.signal);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.killed) return false;
    this.killed = true;
    this.send({ type: 'kill', id: this.id });
    if (signal === 'SIGKILL') this.socket?.destroy();
    return true;
  }
}

let shared: Spawner | undefined;

/** Whether decoders start through the spawner: on Linux and macOS, unless `MINIDJ_SPAWNER=0`. */
export function spawnerEnabled(): boolean {
  return process.platform !== 'win32' && setting('MINIDJ_SPAWNER');
}

/** Starts this thread's spawner process ahead of its first decoder (when the spawner is enabled). */
export function prestartSpawner(): void {
  if (!spawnerEnabled()) return;
  shared ??= new Spawner();
  shared.prestart();
}

/** A decoder (`command args`, stdout = its output) started by the spawner process, at niceness `nice`. */
export function spawnDecoder(command: string, args: string[], nice = 0): DecoderProcess {
  shared ??= new Spawner();
  return shared.spawn(command, args, nice);
}
