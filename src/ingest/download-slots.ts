import { setting } from '../util/config.ts';

/** `MINIDJ_MAX_DOWNLOADS`: downloads one process runs at once (every server together). */
export function maxDownloadsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return setting('MINIDJ_MAX_DOWNLOADS', env);
}

interface Waiting {
  owner: string;
  start: () => void;
}

/**
 * The downloads in flight in this process, at most `max`: past it a download waits for a slot, and the slots that
 * free go to the waiting servers in turn (the one served least recently first), so servers with many downloads
 * queued cannot keep another's first one waiting behind all of theirs. Each download is bounded in time
 * (src/ingest/safe-fetch.ts), so a wait is too.
 */
export class DownloadSlots {
  readonly max: number;
  private running = 0;
  private readonly waiting: Waiting[] = [];
  /** When each owner was last given a slot (a counter), for the turns. */
  private readonly served = new Map<string, number>();
  private turn = 0;

  constructor(max = maxDownloadsFromEnv()) {
    this.max = max;
  }

  /** Downloads running now. */
  get inFlight(): number {
    return this.running;
  }

  /** Downloads waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with the slot's release once `owner` may start its download. */
  acquire(owner: string): Promise<() => void> {
    return new Promise((resolve) => {
      this.waiting.push({ owner, start: () => resolve(this.releaser()) });
      this.next();
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.next();
    };
  }

  private next(): void {
    while (this.running < this.max && this.waiting.length > 0) {
      // The first waiting download of the owner served least recently (never served: at once, in arrival order).
      let pick = 0;
      for (let i = 1; i < this.waiting.length; i++) {
        if ((this.served.get(this.waiting[i]!.owner) ?? 0) < (this.served.get(this.waiting[pick]!.owner) ?? 0))
          pick = i;
      }
      const [chosen] = this.waiting.splice(pick, 1);
      this.served.set(chosen!.owner, ++this.turn);
      if (this.served.size > 1000)
        for (const o of this.served.keys()) if (!this.waiting.some((w) => w.owner === o)) this.served.delete(o);
      this.running++;
      chosen!.start();
    }
  }
}
