/** Listeners' votes to skip the song playing: more than half of those in the channel skips it. */
export class SkipVotes {
  private trackKey: string | undefined;
  private readonly voters = new Set<string>();

  /** A new song: the votes start again. */
  reset(trackKey: string): void {
    if (trackKey === this.trackKey) return;
    this.trackKey = trackKey;
    this.voters.clear();
  }

  /** Counts `userId`'s vote among `listenerIds` (votes of members who left no longer count). */
  vote(userId: string, listenerIds: readonly string[]): { votes: number; needed: number; passed: boolean } {
    this.voters.add(userId);
    const { votes, needed } = this.tally(listenerIds);
    const passed = votes >= needed;
    if (passed) this.voters.clear();
    return { votes, needed, passed };
  }

  /** The votes of those still listening, and how many are needed. */
  tally(listenerIds: readonly string[]): { votes: number; needed: number } {
    const present = new Set(listenerIds);
    return { votes: [...this.voters].filter((id) => present.has(id)).length, needed: Math.floor(present.size / 2) + 1 };
  }
}
