import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Captured {
  method: string;
  url: string;
  auth: string;
  body: { name: string }[];
}
let server: http.Server;
let api: string;
const captured: Captured[] = [];

beforeAll(async () => {
  // A stand-in for Discord's REST API on loopback: records the request, echoes the commands back.
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw || '[]') as { name: string }[];
      captured.push({ method: req.method!, url: req.url!, auth: req.headers.authorization ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body.map((c, i) => ({ ...c, id: String(1000 + i) }))));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function register(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.resolve('bin/minidj.js'), 'register'], {
      env: { PATH: process.env.PATH!, MINIDJ_DISCORD_API: api, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDe.abcdefghijklmnopqrstuvwxyz0123456789AB';

describe('minidj register', () => {
  it('puts the four commands on one server when DISCORD_GUILD_ID is set', async () => {
    const run = await register({
      DISCORD_TOKEN: TOKEN,
      DISCORD_CLIENT_ID: '123456789012345678',
      DISCORD_GUILD_ID: '987654321098765432',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('Registered 4 commands on server 987654321098765432; they are available now.\n');
    const last = captured.at(-1)!;
    expect(last.method).toBe('PUT');
    expect(last.url).toBe('/api/v10/applications/123456789012345678/guilds/987654321098765432/commands');
    expect(last.auth).toBe(`Bot ${TOKEN}`);
    expect(last.body.map((c) => c.name)).toEqual(['queue', 'djset', 'suggest', 'Add to the DJ playlist']);
  });

  it('registers globally otherwise', async () => {
    const run = await register({ DISCORD_TOKEN: TOKEN, DISCORD_CLIENT_ID: '123456789012345678' });
    expect(run.code, run.stderr).toBe(0);
    expect(captured.at(-1)!.url).toBe('/api/v10/applications/123456789012345678/commands');
    expect(run.stdout).toMatch(/^Registered 4 commands globally/);
  });

  it('without a token, says what to do and sends nothing', async () => {
    const before = captured.length;
    const run = await register({});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('minidj: DISCORD_TOKEN is not set.');
    expect(run.stderr).toContain('npm run demo');
    expect(captured.length).toBe(before);
  });
});
