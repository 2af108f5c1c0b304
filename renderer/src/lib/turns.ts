/**
 * Requests taken one at a time, skipping those nobody wants any more when their turn comes. The
 * engine computes SR maps one after another on its thread, so a gene typed while another map is
 * computed has to wait for it anyway; what must not happen is that it also waits for every gene
 * passed over in between. `wanted` is asked just before a task starts; a skipped task resolves to
 * undefined, and a failed one does not stop the ones behind it.
 */
export class Turns {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(wanted: () => boolean, task: () => Promise<T>): Promise<T | undefined> {
    const mine = this.tail.then(() => (wanted() ? task() : undefined));
    this.tail = mine.catch(() => undefined);
    return mine;
  }
}
