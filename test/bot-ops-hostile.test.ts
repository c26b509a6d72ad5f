import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import path from 'node:path';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { FAKE_GUILD_ID, FAKE_VOICE_CHANNEL_ID, startFakeDiscord } from './helpers/fake-discord.ts';
import type { FakeDiscord } from './helpers/fake-discord.ts';
import { seedBothGuilds, ShardedBot, startSet } from './helpers/sharded-bot.ts';
import { until } from './helpers/until.ts';

const MAIN = path.resolve('src/bot/main.ts');
const FAULTS = path.resolve('test/helpers/fault-preload.ts');

let tmp: ReturnType<typeof makeTempDir>;
let discord: FakeDiscord;
let bot: ShardedBot;

/** Sends `text` as it is over one TCP connection and resolves with what came back before the server closed it. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(text)}`)));
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

beforeAll(async () => {
  tmp = makeTempDir();
  const db = path.join(tmp.dir, 'minidj.sqlite');
  await seedBothGuilds(db, path.join(tmp.dir, 'tracks'), tmp.dir);
  discord = await startFakeDiscord();
  bot = new ShardedBot(discord, db, tmp.dir);
}, 120_000);

afterAll(async () => {
  bot?.kill();
  await discord?.close();
  tmp?.cleanup();
});

describe('a running bot process against hostile requests and uncaught errors', () => {
  it('answers a malformed request line and a foreign Host 400, survives errors nothing caught, and its set plays on', async () => {
    bot.startMachine(
      {
        MINIDJ_TRACKS_DIR: path.join(tmp.dir, 'tracks'),
        MINIDJ_DOWNLOAD_DIR: path.join(tmp.dir, 'downloads'),
        MINIDJ_OPS_PORT: '0',
      },
      { script: MAIN, preloads: [FAULTS] },
    );
    const [online] = await bot.online(1);
    const pid = online!.pid;
    expect(await startSet(bot, discord, FAKE_GUILD_ID)).toMatch(new RegExp(`^Mixing in <#${FAKE_VOICE_CHANNEL_ID}>`));
    await until(() => bot.packetsOf(pid, FAKE_GUILD_ID) > 50 || undefined, "the set's audio", 20_000);
    const port = Number(bot.logLines().find((l) => l.msg === 'ops endpoints: /healthz, /metrics')!.port);

    // `new URL()` threw on this target and took the process down with it.
    expect(await rawRequest(port, `GET http://[ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)).toMatch(
      /^HTTP\/1\.1 400 /,
    );
    // A browser led here by DNS rebinding sends the attacker's name.
    expect(await rawRequest(port, `GET /metrics HTTP/1.1\r\nHost: rebind.attacker.example:${port}\r\n\r\n`)).toMatch(
      /^HTTP\/1\.1 400 /,
    );
    expect(
      await rawRequest(port, `GET http://rebind.attacker.example/metrics HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`),
    ).toMatch(/^HTTP\/1\.1 400 /);
    const refused = bot.logLines().filter((l) => l.msg === 'ops endpoints: request refused (400)');
    expect(refused.map((l) => l.reason)).toEqual([
      'malformed request target',
      'Host is not one of the names this endpoint answers',
      'request target names another host',
    ]);

    // A bug in a callback: an exception thrown from a timer and a rejection nobody awaits.
    const before = bot.packetsOf(pid, FAKE_GUILD_ID);
    process.kill(pid, 'SIGUSR2');
    const logged = await until(
      () => {
        const lines = bot.logLines().filter((l) => String(l.msg).startsWith('uncaught error'));
        return lines.length >= 2 ? lines : undefined;
      },
      'both uncaught errors to be logged',
      10_000,
    );
    expect(logged.map((l) => [l.level, l.kind, (l.err as { message: string }).message]).sort()).toEqual([
      [50, 'uncaughtException', 'injected fault: thrown from a timer'],
      [50, 'unhandledRejection', 'injected fault: a rejection nobody awaits'],
    ]);

    // The process and its set live on: two more seconds of packets, healthy, still one live set.
    await until(
      () => bot.packetsOf(pid, FAKE_GUILD_ID) > before + 100 || undefined,
      'the set to keep streaming',
      10_000,
    );
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', liveSets: 1 });
    expect(bot.onlineProcesses()).toHaveLength(1);
    expect(await bot.stop()).toEqual([0]);
  }, 90_000);
});
