/**
 * At most `concurrency` renders at once; the others wait, and the one due soonest goes next (ties: the earliest
 * asked). Running more at once only shares the same cores and finishes them all later; serving the soonest first lets
 * a skip's render, due in seconds, overtake renders due in a minute.
 */
export class RenderSlots {
  private running = 0;
  private readonly waiting: { due: number; order: number; start: () => void }[] = [];
  private asked = 0;
  private readonly concurrency: number;

  constructor(concurrency: number) {
    this.concurrency = concurrency;
  }

  /** Resolves when this render may run; `due` is when it plays (any clock, the same for every render). */
  async acquire(due: number): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return;
    }
    const order = this.asked++;
    await new Promise<void>((start) => this.waiting.push({ due, order, start }));
  }

  release(): void {
    if (this.waiting.length === 0) {
      this.running--;
      return;
    }
    let next = 0;
    for (let i = 1; i < this.waiting.length; i++) {
      const [w, n] = [this.waiting[i]!, this.waiting[next]!];
      if (w.due < n.due || (w.due === n.due && w.order < n.order)) next = i;
    }
    this.waiting.splice(next, 1)[0]!.start();
  }
}
