// A second process on the same store: opens a GuildStore, says "ready", and on "go" (stdin) sends its adds at once,
// then prints how many were accepted. argv: store setting, guild id, tag, count, [member id].
import { GuildStore } from '../../src/db/guild-store.ts';
import { concurrentAdds } from './guild-races.ts';

const [setting, guildId, tag, count, memberId] = process.argv.slice(2);
if (!setting || !guildId || !tag || !count) throw new Error('usage: guild-adder.ts SETTING GUILD TAG COUNT [MEMBER]');
const store = await GuildStore.open(setting);
console.log('ready');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();
const accepted = await concurrentAdds(store, guildId, { tag, count: Number(count), ...(memberId ? { memberId } : {}) });
await store.close();
console.log(JSON.stringify({ accepted }));
