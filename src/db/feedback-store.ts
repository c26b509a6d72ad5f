import type Keyv from 'keyv';
import { openKeyv, storeTarget } from './open-keyv.ts';
import { setting } from '../util/config.ts';

/** A listener's verdict on one transition the bot played: 👍/👎 on "now mixing", or a skip during or right after it. */
export interface FeedbackRecord {
  id: string;
  guildId: string;
  fromHash: string;
  toHash: string;
  liked: boolean;
  source: 'vote' | 'skip';
  userId?: string;
  at: string;
}

/** Labelled pairs for `minidj train`, kept beside the analyses in the same store. */
export class FeedbackStore {
  private readonly keyv: Keyv;

  private constructor(keyv: Keyv) {
    this.keyv = keyv;
  }

  static async open(dbSetting = setting('MINIDJ_DB')): Promise<FeedbackStore> {
    return new FeedbackStore(await openKeyv(storeTarget(dbSetting), 'feedback'));
  }

  async add(record: FeedbackRecord): Promise<void> {
    await this.keyv.set(record.id, record);
  }

  async *all(): AsyncGenerator<FeedbackRecord> {
    if (!this.keyv.iterator) throw new Error('this store cannot list feedback');
    for await (const [, value] of this.keyv.iterator(undefined)) yield value as FeedbackRecord;
  }

  async close(): Promise<void> {
    await this.keyv.disconnect();
  }
}
