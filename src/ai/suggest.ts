import { camelotCodeOf } from '../audio/music/camelot-relation.ts';
import type { HarmonicRelation } from '../audio/music/camelot-relation.ts';
import type { MixScorer } from './mix-scorer.ts';
import { mixReasons } from './mix-reasons.ts';
import { pairFacts } from './pair-features.ts';
import type { TrackDescriptor } from './track-descriptor.ts';

export interface LibraryEntry {
  /** Content hash: the track's identity. */
  id: string;
  title: string;
  descriptor: TrackDescriptor;
}

export interface Suggestion {
  id: string;
  title: string;
  score: number;
  bpm: number;
  camelot: string;
  stretchPct: number;
  relation: HarmonicRelation;
  reasons: string[];
}

/** The best next tracks after `from`, with the reasons a DJ would give. Serves `minidj suggest` and `/suggest`. */
export async function suggestNext(
  scorer: MixScorer,
  from: LibraryEntry,
  library: readonly LibraryEntry[],
  count: number,
): Promise<Suggestion[]> {
  const candidates = library.map((e) => e.descriptor);
  const ranked = await scorer.rank(from.descriptor, candidates, count, (i) => library[i]!.id === from.id);
  return ranked.map(({ index, score }) => {
    const entry = library[index]!;
    const facts = pairFacts(from.descriptor, entry.descriptor);
    const d = entry.descriptor;
    return {
      id: entry.id,
      title: entry.title,
      score: Number(score.toFixed(4)),
      bpm: d.bpm,
      camelot: camelotCodeOf(d.camelotNumber, d.camelotLetter),
      stretchPct: Number(facts.stretchPct.toFixed(2)),
      relation: facts.relation,
      reasons: mixReasons(from.descriptor, d, facts),
    };
  });
}
