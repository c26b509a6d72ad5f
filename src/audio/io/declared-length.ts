import { open } from 'node:fs/promises';

/**
 * Length a WAV file's header declares, in seconds. ffmpeg estimates a short WAV's duration from its size,
 * so a cut-off upload would otherwise decode quietly as a shorter track.
 */
export async function declaredWavSeconds(file: string): Promise<number | undefined> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead < 12 || head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE')
      return undefined;
    let offset = 12;
    let byteRate = 0;
    while (offset + 8 <= bytesRead) {
      const id = head.toString('ascii', offset, offset + 4);
      const size = head.readUInt32LE(offset + 4);
      if (id === 'fmt ' && offset + 16 <= bytesRead) byteRate = head.readUInt32LE(offset + 8 + 8);
      if (id === 'data') {
        // 0 and 0xFFFFFFFF mean "unknown" (streamed WAVs).
        if (size === 0 || size === 0xffffffff || byteRate === 0) return undefined;
        return size / byteRate;
      }
      offset += 8 + size + (size % 2);
    }
    return undefined;
  } finally {
    await handle.close();
  }
}
