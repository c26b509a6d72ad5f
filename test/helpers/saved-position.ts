import { expect } from 'vitest';
import type { GuildStore, LiveSession } from '../../src/db/guild-store.ts';

const session = (hash: string, savedAt: string): LiveSession => ({
  voiceChannelId: 'v1',
  textChannelId: 't1',
  order: 'smart',
  startedAt: savedAt,
  current: { hash, title: hash, positionSec: 0, savedAt },
});

/**
 * A live set's saved position: read over the session without a record write, only while it is the newest word on the
 * song the session still plays, and carried by the next update.
 */
export async function checkSavedPosition(store: GuildStore, guildId: string): Promise<void> {
  const started = await store.update(guildId, (s) => ({ ...s, session: session('a', '2026-01-01T00:00:00.000Z') }));
  await store.savePosition(guildId, { hash: 'a', positionSec: 42.5, savedAt: '2026-01-01T00:00:40.000Z' });
  const saved = await store.get(guildId);
  expect(saved.session?.current).toMatchObject({ hash: 'a', positionSec: 42.5, savedAt: '2026-01-01T00:00:40.000Z' });
  expect(saved.version).toBe(started.version);

  const added = await store.update(guildId, (s) => ({ ...s, setStarterId: 'u9' }));
  expect(added.session?.current.positionSec).toBe(42.5);
  await store.savePosition(guildId, { hash: 'a', positionSec: 50, savedAt: '2026-01-01T00:00:45.000Z' });
  expect((await store.get(guildId)).session?.current.positionSec).toBe(50);

  await store.update(guildId, (s) => ({ ...s, session: session('b', '2026-01-01T00:01:00.000Z') }));
  expect((await store.get(guildId)).session?.current).toMatchObject({ hash: 'b', positionSec: 0 });
  await store.savePosition(guildId, { hash: 'b', positionSec: 3, savedAt: '2026-01-01T00:00:59.000Z' });
  expect((await store.get(guildId)).session?.current.positionSec).toBe(0);

  await store.update(guildId, (s) => ({ ...s, session: undefined }));
  await store.savePosition(guildId, { hash: 'b', positionSec: 9, savedAt: '2026-01-01T00:02:00.000Z' });
  expect((await store.get(guildId)).session).toBeUndefined();
}
