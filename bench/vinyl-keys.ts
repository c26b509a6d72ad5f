// node bench/vinyl-keys.ts — does vinyl mode's pitch change move a key? Each track's key as the ears detect it
// (src/audio/analysis/key-detect.ts) on 60 s of its own audio, and on the same 60 s played as vinyl at the bound,
// +1 % and −1 % (±17.2 cents): the steady voice crate (synthesized, known keys) and the released tracks of
// ../shared/real-music that bench:real's set plays.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadEssentia } from '../src/audio/analysis/essentia-runtime.ts';
import { detectKey } from '../src/audio/analysis/key-detect.ts';
import { DeckReader } from '../src/audio/io/deck-reader.ts';
import { MIX_RATE } from '../src/audio/io/mix-format.ts';
import { toMono } from '../src/audio/io/pcm.ts';
import { VinylDeck } from '../src/audio/io/vinyl-deck.ts';
import { camelotRelationOfCodes } from '../src/audio/music/camelot-relation.ts';
import { PROJECT_ROOT } from '../src/eval/shared-truth.ts';
import { ensureVoiceCrate } from './voice-crate.ts';

const FROM_SEC = 30;
const SEC = 60;
const essentia = loadEssentia();

async function keyAt(file: string, tempo: number) {
  const opts = { file, fromSec: FROM_SEC, toSec: FROM_SEC + SEC * tempo + 1, gain: 1 };
  const deck = tempo === 1 ? new DeckReader(opts) : new VinylDeck({ ...opts, schedule: [{ atSec: 0, tempo }] });
  try {
    const mono = toMono(await deck.read(SEC * MIX_RATE), 2);
    const signal = essentia.arrayToVector(mono);
    try {
      return detectKey(essentia, signal, MIX_RATE);
    } finally {
      signal.delete();
    }
  } finally {
    deck.close();
  }
}

const crate = await ensureVoiceCrate(() => undefined, 'steady');
const realDir = path.resolve(PROJECT_ROOT, '../shared/real-music');
const truth = JSON.parse(readFileSync(path.join(realDir, 'truth.json'), 'utf8')) as {
  file: string;
  reference_bpm: number;
  fold_sharpness: number;
}[];
const real = truth
  .filter(
    (t) => t.fold_sharpness >= 10 && !/_fast\.|_f\./.test(t.file) && t.reference_bpm >= 119 && t.reference_bpm <= 147,
  )
  .map((t) => path.join(realDir, t.file));
let same = 0;
let total = 0;
for (const file of [...crate.map((t) => t.file), ...real]) {
  const [own, up, down] = [await keyAt(file, 1), await keyAt(file, 1.01), await keyAt(file, 0.99)];
  const kept = [up, down].filter((k) => k.camelot === own.camelot).length;
  same += kept;
  total += 2;
  console.log(
    `${path.basename(file)}: ${own.camelot} (strength ${own.strength}); +1 % ${up.camelot} (${up.strength}, ${camelotRelationOfCodes(own.camelot, up.camelot)}); −1 % ${down.camelot} (${down.strength}, ${camelotRelationOfCodes(own.camelot, down.camelot)})`,
  );
}
console.log(`\nkey kept at ±1 % (±17.2 cents): ${same} of ${total}`);
process.exit(0);
