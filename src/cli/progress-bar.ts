/** A one-line progress bar on stderr, shown only when stderr is a terminal and there is more than one item. */
export class ProgressBar {
  private readonly enabled: boolean;
  private readonly total: number;
  private done = 0;

  constructor(total: number, stream: NodeJS.WriteStream = process.stderr) {
    this.total = total;
    this.enabled = total > 1 && stream.isTTY === true;
  }

  tick(label: string): void {
    this.done++;
    if (!this.enabled) return;
    const width = 24;
    const filled = Math.round((this.done / this.total) * width);
    const name = label.length > 40 ? `…${label.slice(-39)}` : label;
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} ${name}\x1b[K`,
    );
    if (this.done === this.total) process.stderr.write('\n');
  }
}
