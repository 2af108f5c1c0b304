import { describe, expect, it } from 'vitest';
import { lruGet } from '../../../main/engine/service/lru';

describe('lruGet', () => {
  it('builds each value once, refreshes on use and evicts the least recently used', () => {
    const cache = new Map<number, string>();
    const built: number[] = [];
    const get = (k: number) => lruGet(cache, k, 2, () => (built.push(k), `v${k}`));
    expect(get(1)).toBe('v1');
    expect(get(2)).toBe('v2');
    expect(get(1)).toBe('v1'); // hit: 1 is now the newest
    expect(get(3)).toBe('v3'); // evicts 2, not 1
    expect([...cache.keys()]).toEqual([1, 3]);
    expect(get(2)).toBe('v2'); // rebuilt
    expect(built).toEqual([1, 2, 3, 2]);
  });
});
