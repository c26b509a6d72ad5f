// The spawner (see spawner.ts): a small process that starts decoders for the bot, so that the bot's own process, with
// its hundreds of MB, is never forked. Each decoder's stdout is a connection to the bot's socket, opened here and
// handed to it; its exit and stderr go back over the IPC channel.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { setPriority } from 'node:os';
import type { SpawnerReply, SpawnerRequest } from './spawner.ts';

const send = (reply: SpawnerReply): void => {
  process.send?.(reply);
};
const children = new Map<number, ReturnType<typeof spawn>>();
/** Killed before they were started. */
const killed = new Set<number>();

process.on('message', (req: SpawnerRequest) => {
  if (req.type === 'kill') {
    const child = children.get(req.id);
    if (child) child.kill('SIGKILL');
    else killed.add(req.id);
    return;
  }
  const { id, command, args, socket, nice } = req;
  const out = connect(socket);
  out.on('error', (error) =>
    send({
      type: 'exit',
      id,
      code: null,
      signal: null,
      stderr: '',
      error: `the decoder's output could not be connected (${error.message})`,
    }),
  );
  out.on('connect', () => {
    // The id first, so the bot knows whose output this is; then the decoder writes straight into the connection.
    const header = Buffer.alloc(4);
    header.writeUInt32LE(id);
    out.write(header, () => {
      if (killed.delete(id)) {
        out.destroy();
        send({ type: 'exit', id, code: null, signal: 'SIGKILL', stderr: '', output: true });
        return;
      }
      let child;
      try {
        child = spawn(command, args, { stdio: ['ignore', out, 'pipe'] });
      } catch (error) {
        out.destroy();
        send({ type: 'exit', id, code: null, signal: null, stderr: '', error: (error as Error).message });
        return;
      }
      // The decoder holds its own copy of the connection: ours is closed, so its end is the decoder's end.
      out.destroy();
      children.set(id, child);
      if (nice > 0 && child.pid !== undefined) {
        try {
          setPriority(child.pid, nice);
        } catch {
          // Gone already, or not allowed.
        }
      }
      let stderr = '';
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (t: string) => {
        if (stderr.length < 4000) stderr += t;
      });
      let failed: string | undefined;
      child.on('error', (error) => (failed = error.message));
      child.on('close', (code, signal) => {
        children.delete(id);
        send({ type: 'exit', id, code, signal, stderr, output: true, ...(failed ? { error: failed } : {}) });
      });
    });
  });
});

// The bot is gone: so are its decoders.
process.on('disconnect', () => {
  for (const child of children.values()) child.kill('SIGKILL');
  process.exit(0);
});
