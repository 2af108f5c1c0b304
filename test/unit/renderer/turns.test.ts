import { describe, expect, it } from 'vitest';
import { Turns } from '../../../renderer/src/lib/turns';

/** A task that finishes when the test says so, and records that it started. */
function gate(log: string[], name: string) {
  let open!: (v: string) => void;
  let fail!: (e: Error) => void;
  const task = () => {
    log.push(name);
    return new Promise<string>((ok, no) => ((open = ok), (fail = no)));
  };
  return { task, open: () => open(name), fail: (e: Error) => fail(e) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('Turns', () => {
  it('runs one task at a time and skips the ones no longer wanted when their turn comes', async () => {
    const turns = new Turns();
    const log: string[] = [];
    const [a, b, c] = [gate(log, 'a'), gate(log, 'b'), gate(log, 'c')];
    let bWanted = true;
    const ra = turns.run(() => true, a.task);
    const rb = turns.run(() => bWanted, b.task);
    const rc = turns.run(() => true, c.task);
    await tick();
    expect(log).toEqual(['a']); // b and c wait for a
    bWanted = false; // the user typed on: b was passed over
    a.open();
    expect(await ra).toBe('a');
    expect(await rb).toBeUndefined();
    await tick();
    expect(log).toEqual(['a', 'c']);
    c.open();
    expect(await rc).toBe('c');
  });

  it('goes on after a failed task', async () => {
    const turns = new Turns();
    const log: string[] = [];
    const [a, b] = [gate(log, 'a'), gate(log, 'b')];
    const ra = turns.run(() => true, a.task);
    const rb = turns.run(() => true, b.task);
    await tick();
    a.fail(new Error('engine said no'));
    await expect(ra).rejects.toThrow('engine said no');
    await tick();
    expect(log).toEqual(['a', 'b']);
    b.open();
    expect(await rb).toBe('b');
  });
});
