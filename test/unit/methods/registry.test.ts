/**
 * The method registry: entries' options reproduce the methods' presets exactly (behaviour is
 * unchanged by the move), methods.list describes them as JSON Schema, runs are parsed once
 * (older rows too) and old job rows translate to the generic `sr` task.
 */
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../../main/engine/methods/histex/pipeline';
import { pipelineOptions, type HistexRunOptions } from '../../../main/engine/methods/histex/sample-run';
import {
  checkOptions,
  listMethodIds,
  methodInfo,
  requireMethodEntry,
  resolveOptions,
} from '../../../main/engine/methods/registry';
import { parseRun } from '../../../main/engine/methods/runs';
import type { RunRow } from '../../../main/engine/store/repos/runs';
import { fromLegacyParams } from '../../../main/engine/tasks/sr';

const histexOptions = (id: string, preset?: string, given: Record<string, unknown> = {}) =>
  resolveOptions(requireMethodEntry(id), preset, given) as unknown as HistexRunOptions;

describe('registry entries', () => {
  it('lists the built-in methods, app methods first', () => {
    expect(listMethodIds().slice(0, 7)).toEqual([
      'histex',
      'istar',
      'histosge',
      'diffst',
      'interp',
      'coarse',
      'tesla',
    ]);
  });

  it("HISTEX's defaults and presets are the pipeline's presets, option for option", () => {
    expect(pipelineOptions('histex', histexOptions('histex'))).toEqual(PRESETS.default);
    expect(pipelineOptions('histex', histexOptions('histex', 'paper'))).toEqual(PRESETS.paper);
    expect(pipelineOptions('istar', histexOptions('istar'))).toEqual(PRESETS.istar);
    expect(pipelineOptions('histex', histexOptions('histex', undefined, { epochs: 7 })).epochs).toBe(7);
  });

  it('refuses unknown options, presets and out-of-range values with their path', () => {
    const e = requireMethodEntry('histosge');
    expect(checkOptions(e, undefined, { fold: 3 }).issues[0]?.path).toEqual(['options', 'fold']);
    expect(checkOptions(e, 'fast', {}).issues[0]?.path).toEqual(['preset']);
    expect(checkOptions(e, undefined, { epoch: 3 }).issues[0]?.message).toMatch(/no option "epoch"/);
    expect(() => resolveOptions(e, undefined, { epochs: 0 })).toThrow(/epochs/);
    expect(checkOptions(e, 'paper', {}).options).toMatchObject({ epochs: 1000, fold: 4, genes: 100 });
  });

  it('methods.list describes options as JSON Schema with titles, bounds and defaults', () => {
    const info = methodInfo(requireMethodEntry('histosge'));
    expect(info).toMatchObject({ id: 'histosge', kind: 'spots', trains: true, bench: true, plugin: null });
    const props = info.options['properties'] as Record<string, Record<string, unknown>>;
    expect(props['fold']).toMatchObject({ title: 'Fold', default: 4, enum: [2, 4, 8, 9, 16] });
    expect(props['epochs']).toMatchObject({ type: 'integer', minimum: 1, default: 300 });
    expect(info.presets).toEqual({ default: {}, paper: { epochs: 1000, validation: 0 } });
  });
});

describe('typed runs', () => {
  const row = (result: Record<string, unknown>, arrays: Record<string, unknown>): RunRow => ({
    id: 7,
    sampleId: 1,
    method: 'histex',
    params: {},
    result,
    arrays,
    createdAt: '2026-01-01',
  });

  it('reads a row written before the registry (no kind, old grid shape, no label)', () => {
    const r = parseRun(
      row(
        {
          genes: [3, 1],
          grid: { rows: 10, cols: 20, superpixelPx: 16, originPx: { x: 4, y: 8 } },
          losses: [0.5, null],
        },
        { index: 'i.arr', latents: ['a.arr'], heads: ['h.arr'], features: 'f.arr', norm: 'n.arr' },
      ),
      (m) => (m === 'histex' ? 'HISTEX' : undefined),
    );
    expect(r.kind).toBe('superpixels');
    if (r.kind !== 'superpixels') return;
    expect(r.grid).toEqual({ originX: 4, originY: 8, sizePx: 16, width: 20, height: 10 });
    expect(r.label).toBe('HISTEX');
    expect(r.losses[0]).toBe(0.5);
    expect(r.losses[1]).toBeNaN();
  });

  it('reads spot sets and refuses a damaged row as CORRUPT, naming the run', () => {
    const ok = parseRun(
      row(
        { kind: 'spots', label: 'X', genes: [0], fold: 4, spotDiameterUm: 27.5, losses: [] },
        { xy: 'a/xy.arr', measured: 'a/m.arr', values: 'a/v.arr' },
      ),
    );
    expect(ok).toMatchObject({ kind: 'spots', fold: 4, label: 'X' });
    expect(() => parseRun(row({ kind: 'spots', genes: [0] }, {}))).toThrow(/Run 7 is damaged: fold/);
    expect(() => parseRun(row({ genes: 'x' }, {}))).toThrow(/Run 7 is damaged/);
  });
});

describe('older job rows', () => {
  it('translate to the sr task: the kind names the method, flat parameters become options', () => {
    expect(
      fromLegacyParams('sr.histex', {
        sampleId: 2,
        method: 'istar',
        epochs: 5,
        include: [4],
        featureSetId: 3,
        noHistology: true,
      }),
    ).toEqual({
      sampleId: 2,
      method: 'istar',
      include: [4],
      featureSetId: 3,
      options: { epochs: 5, histology: false },
    });
    expect(fromLegacyParams('sr.interp', { sampleId: 1, fold: 9, genes: 20 })).toEqual({
      sampleId: 1,
      method: 'interp',
      options: { fold: 9, genes: 20 },
    });
  });
});
