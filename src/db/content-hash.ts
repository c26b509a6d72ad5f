import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** sha256 of the bytes, streamed: the identity of a track whatever it is called. */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
