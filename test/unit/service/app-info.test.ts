import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppService } from '../../../main/engine/service/app-service';
import { repoRoot } from '../../helpers/paths';

describe('app.info', () => {
  it("reports package.json's version and the execution provider a session actually ran on", async () => {
    const r = await new AppService({ transport: 'http' }).dispatch('app.info', {});
    if (!r.ok) throw new Error(r.error.message);
    const info = r.value as {
      version: string;
      executionProviders: string[];
      providerFallback: string | null;
    };
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(info.version).toBe(pkg.version);
    expect(info.executionProviders).toHaveLength(1);
    expect(['cpu', 'cuda', 'dml']).toContain(info.executionProviders[0]);
    // a fallback always names why; running on CPU by choice needs none
    if (info.executionProviders[0] === 'cpu' && info.providerFallback !== null)
      expect(info.providerFallback).toMatch(/unavailable/);
  });
});
