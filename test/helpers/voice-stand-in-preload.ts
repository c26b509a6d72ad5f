// `node --import` this into a spawned bot: its voice connections become Ready as on a real server (see standInVoiceServer).
// With VOICE_STAND_IN_REPORT_DIR, the process writes there (`<pid>.json`, every 100 ms) how many Opus packets each
// guild's connection has sent, so a test can see which process streams which guild.
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { standInVoiceServer } from './fake-voice-connection.ts';

const voice = standInVoiceServer();
const dir = process.env.VOICE_STAND_IN_REPORT_DIR;
// The bot's worker threads load this too (they inherit the flags); the voice connections are the main thread's.
if (dir && isMainThread) {
  const file = path.join(dir, `${process.pid}.json`);
  setInterval(() => {
    const packets = Object.fromEntries([...voice.packets].map(([guildId, sent]) => [guildId, sent.length]));
    writeFileSync(`${file}.tmp`, JSON.stringify({ pid: process.pid, packets }));
    renameSync(`${file}.tmp`, file);
  }, 100).unref();
}
