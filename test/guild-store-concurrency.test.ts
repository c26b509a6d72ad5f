import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuildStore, UPDATE_ATTEMPTS } from '../src/db/guild-store.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { concurrentAdds, legacyEntry, writeLegacyGuildState } from './helpers/guild-races.ts';
import type { AddsPlan } from './helpers/guild-races.ts';

const ADDER = path.resolve('test/helpers/guild-adder.ts');

let tmp: ReturnType<typeof makeTempDir>;
let db: string;
let first: GuildStore;
let second: GuildStore;
beforeAll(async () => {
  tmp = makeTempDir();
  db = path.join(tmp.dir, 'shared.sqlite');
  [first, second] = await Promise.all([GuildStore.open(db), GuildStore.open(db)]);
});
afterAll(async () => {
  await Promise.all([first?.close(), second?.close()]);
  tmp.cleanup();
});

/** Starts one OS process per plan on the store, lets them all go at once, and resolves to each one's accepted count. */
async function addsFromProcesses(guildId: string, plans: AddsPlan[]): Promise<number[]> {
  const children = plans.map((plan) => {
    const args = [ADDER, db, guildId, plan.tag, String(plan.count), ...(plan.memberId ? [plan.memberId] : [])];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString();
        if (output.includes('ready')) resolve();
      }),
    );
    const exited = new Promise<number>((resolve, reject) =>
      child.on('close', (code) => {
        if (code !== 0) reject(new Error(`guild-adder exited with ${code}: ${output}`));
        else resolve((JSON.parse(output.slice(output.indexOf('{'))) as { accepted: number }).accepted);
      }),
    );
    return { child, ready, exited };
  });
  await Promise.all(children.map((c) => c.ready));
  for (const { child } of children) child.stdin.end('go\n');
  return Promise.all(children.map((c) => c.exited));
}

describe('two GuildStores on one SQLite file', () => {
  it('lose none of 2 × 20 concurrent adds by different members', async () => {
    const accepted = await Promise.all([
      concurrentAdds(first, 'g-many', { tag: 'a', count: 20 }),
      concurrentAdds(second, 'g-many', { tag: 'b', count: 20 }),
    ]);
    expect(accepted).toEqual([20, 20]);
    const state = await first.get('g-many');
    expect(state.playlist).toHaveLength(40);
    expect(new Set(state.playlist.map((e) => e.hash)).size).toBe(40);
    expect(state.version).toBe(40);
  });

  it('hold one member to 5 adds a minute across both: of 2 × 8 concurrent adds exactly 5 are accepted and stored', async () => {
    const accepted = await Promise.all([
      concurrentAdds(first, 'g-limit', { tag: 'a', count: 8, memberId: 'eager' }),
      concurrentAdds(second, 'g-limit', { tag: 'b', count: 8, memberId: 'eager' }),
    ]);
    expect(accepted[0]! + accepted[1]!).toBe(5);
    const state = await second.get('g-limit');
    expect(state.playlist).toHaveLength(5);
    expect(state.recentAdds).toHaveLength(5);
    // The 11 refusals wrote nothing.
    expect(state.version).toBe(5);
  });

  it(`give up with a clear error after ${UPDATE_ATTEMPTS} conflicting writes in a row, writing nothing`, async () => {
    let runs = 0;
    // Every time `first` has read the state, `second` changes it before `first` can write.
    const losing = first.update('g-contended', async (s) => {
      runs++;
      await second.update('g-contended', (t) => ({
        ...t,
        recentAdds: [...t.recentAdds, { requesterId: 'other', at: new Date().toISOString() }],
      }));
      return { ...s, playlist: [...s.playlist, legacyEntry(1)] };
    });
    await expect(losing).rejects.toThrow(`another process changed the state first ${UPDATE_ATTEMPTS} times in a row`);
    expect(runs).toBe(UPDATE_ATTEMPTS);
    const state = await first.get('g-contended');
    expect(state.playlist).toEqual([]);
    expect(state.version).toBe(UPDATE_ATTEMPTS);
  });
});

describe('two OS processes on one SQLite file', () => {
  it('lose none of 2 × 20 concurrent adds by different members', async () => {
    const accepted = await addsFromProcesses('g-proc-many', [
      { tag: 'p', count: 20 },
      { tag: 'q', count: 20 },
    ]);
    expect(accepted).toEqual([20, 20]);
    const state = await first.get('g-proc-many');
    expect(state.playlist).toHaveLength(40);
    expect(state.version).toBe(40);
  });

  it('hold one member to exactly 5 of 2 × 8 concurrent adds', async () => {
    const accepted = await addsFromProcesses('g-proc-limit', [
      { tag: 'p', count: 8, memberId: 'eager' },
      { tag: 'q', count: 8, memberId: 'eager' },
    ]);
    expect(accepted[0]! + accepted[1]!).toBe(5);
    const state = await first.get('g-proc-limit');
    expect(state.playlist).toHaveLength(5);
    expect(state.version).toBe(5);
  });
});

describe('a store written by the keyv GuildStore', () => {
  it('is migrated once, playlist intact, even by two stores starting at once, and then loses no adds', async () => {
    const old = path.join(tmp.dir, 'keyv-era.sqlite');
    const playlist = [legacyEntry(1), legacyEntry(2), legacyEntry(3)];
    await writeLegacyGuildState(old, {
      guildId: 'g-legacy',
      playlist,
      settings: { maxQueuePerMember: 10, maxAddsPerMinute: 5, order: 'queue' },
      history: [],
      recentAdds: [],
      transitions: [],
      version: 7,
    });
    const [one, two] = await Promise.all([GuildStore.open(old), GuildStore.open(old)]);
    try {
      const [a, b] = await Promise.all([one.get('g-legacy'), two.get('g-legacy')]);
      expect(a).toEqual(b);
      expect(a.playlist).toEqual(playlist);
      expect(a.settings.order).toBe('queue');
      expect(a.version).toBe(7);

      const accepted = await Promise.all([
        concurrentAdds(one, 'g-legacy', { tag: 'a', count: 10 }),
        concurrentAdds(two, 'g-legacy', { tag: 'b', count: 10 }),
      ]);
      expect(accepted).toEqual([10, 10]);
      const state = await one.get('g-legacy');
      expect(state.playlist.slice(0, 3)).toEqual(playlist);
      expect(state.playlist).toHaveLength(23);
      expect(state.version).toBe(27);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
