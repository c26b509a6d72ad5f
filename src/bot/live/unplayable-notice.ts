import { DeckRefusal } from '../../audio/io/deck-reader.ts';
import { displayTitle } from '../discord/track-title.ts';

/** The channel's line when the set cut past a song it could not play on: why, as the member who added it reads it. */
export function unplayableNotice(title: string, error: Error): string {
  const shown = `**${displayTitle(title)}**`;
  if (error instanceof DeckRefusal && error.byRules)
    return `${shown} could not be played, so the set cut to the next track: its file is no longer accepted. ${error.reason}`;
  return `${shown} could not be played on (its audio decoder kept stopping), so the set cut to the next track.`;
}
