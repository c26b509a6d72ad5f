import type Keyv from 'keyv';
import type { Deserialize } from 'keyv';

/**
 * A string keyv escaped when writing (one starting with `:`, a Buffer as `:base64:…`) is the only thing its reader
 * changes, and such a string opens with `":` right after `:`, `,` or `[` (inside a JSON string a `"` is always `\"`).
 */
const ESCAPED_STRING = /[:,[]\s*":/;

/**
 * Keyv reads every value through a JSON.parse reviver (to undo those escapes), which calls back into JavaScript for
 * every value: 2–3 ms of the main thread for one track's analysis, ~25 times a plain parse, so a set's pick loading
 * a few dozen analyses held the event loop for tens of milliseconds. A value with nothing escaped is parsed plainly
 * (the reviver would have returned every value as it is); any other is read by keyv's own reader.
 */
export function withFastReads(keyv: Keyv): Keyv {
  const escaped = keyv.deserialize;
  if (!escaped) return keyv;
  const read: Deserialize = (data) => (ESCAPED_STRING.test(data) ? escaped(data) : JSON.parse(data));
  keyv.deserialize = read;
  return keyv;
}
