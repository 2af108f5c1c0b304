/**
 * The registry is the one place that lists methods: outside main/engine/methods/<id>/ (a method's
 * own folder), models/ and the registry itself, no production file names histex, histosge or
 * interp — in code, that is: identifiers, strings and import paths; comments and docs may.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const NAMES = /\b(histex|histosge|interp)\b/i;
const PRODUCTION = ['main', 'preload', 'renderer/src'];
const ALLOWED = [
  /^main\/engine\/methods\/(histex|histosge|baselines|diffst)\//,
  /^main\/engine\/methods\/registry\.ts$/,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'node_modules' || d.name === 'dist' ? [] : sourceFiles(p);
    return /\.(ts|tsx|mts|mjs)$/.test(d.name) ? [p] : [];
  });
}

/** Identifiers, strings, template pieces and JSX text of a file (not comments) that name a method. */
export function namedMethods(text: string, jsx: boolean): string[] {
  const file = ts.createSourceFile(
    jsx ? 'x.tsx' : 'x.ts',
    text,
    ts.ScriptTarget.Latest,
    false,
    jsx ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const hits: string[] = [];
  const visit = (node: ts.Node): void => {
    let v: string | undefined;
    if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) v = node.text;
    else if (ts.isStringLiteralLike(node) || ts.isJsxText(node)) v = node.text;
    else if (ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) v = node.text;
    if (v !== undefined && NAMES.test(v)) hits.push(v);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return hits;
}

describe('method names live in the registry', () => {
  it('the check sees names in code and ignores them in comments', () => {
    expect(namedMethods(`const a = 'histex'; // HISTEX here is fine`, false)).toEqual(['histex']);
    expect(namedMethods(`import x from './methods/histosge/index';`, false)).toEqual([
      './methods/histosge/index',
    ]);
    expect(namedMethods(`/* interp */ const interpolation = 1;`, false)).toEqual([]);
    expect(namedMethods(`const e = <option>HISTEX</option>;`, true)).toEqual(['HISTEX']);
  });

  it('no production file outside the methods’ own folders names histex, histosge or interp', () => {
    const offenders: string[] = [];
    for (const base of PRODUCTION)
      for (const file of sourceFiles(join(ROOT, base))) {
        const rel = relative(ROOT, file).split(sep).join('/');
        if (ALLOWED.some((a) => a.test(rel))) continue;
        const hits = namedMethods(readFileSync(file, 'utf8'), file.endsWith('x'));
        if (hits.length > 0) offenders.push(`${rel}: ${[...new Set(hits)].join(', ')}`);
      }
    expect(offenders).toEqual([]);
  });
});
