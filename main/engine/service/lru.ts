/**
 * A few recently used values by key (Map keeps insertion order, so the first key is the oldest):
 * the service keeps the samples and SR runs the viewer is switching between in memory.
 */
export function lruGet<K, V>(cache: Map<K, V>, key: K, max: number, make: () => V): V {
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const value = make();
  cache.set(key, value);
  while (cache.size > max) cache.delete(cache.keys().next().value as K);
  return value;
}
