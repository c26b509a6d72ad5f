// A second process on the library index: says "ready", waits for "go" on stdin, then takes the given tracks out of
// every library one at a time (as the disk quota's evictions do) and exits. argv: store URL, hashes.
import { createInterface } from 'node:readline';
import { acquireLibraryIndex } from '../../src/db/library-index.ts';
import { storeTarget } from '../../src/db/open-keyv.ts';

const [url, ...hashes] = process.argv.slice(2);
const index = await acquireLibraryIndex(storeTarget(url));
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line === 'go') break;
for (const hash of hashes) await index.removeTrack(hash);
await index.close();
process.stdout.write('done\n');
process.exit(0);
