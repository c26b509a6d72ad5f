import { MixScorer } from './mix-scorer.ts';

export interface LazyScorer {
  /** Loads the scorer on first use; a failed load is retried next time. */
  get(): Promise<MixScorer>;
  close(): Promise<void>;
}

export function lazyScorer(load: () => Promise<MixScorer> = () => MixScorer.load()): LazyScorer {
  let loading: Promise<MixScorer> | undefined;
  return {
    get() {
      loading ??= load().catch((error: unknown) => {
        loading = undefined;
        throw error;
      });
      return loading;
    },
    async close() {
      const current = loading;
      loading = undefined;
      // A load that failed has nothing to close (get() gave its error to whoever asked).
      const scorer = await current?.catch(() => undefined);
      await scorer?.close();
    },
  };
}
