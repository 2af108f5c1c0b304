/**
 * User-supplied foundation models (UNI and any ViT with patch 16 at 224 px) through ONNX. The
 * contract (docs/foundation-models.md): one float32 input (B, 3, 224, 224) normalised with the
 * ImageNet mean/std, one output (B, T, D) of tokens after the final norm, the last 196 of which
 * are the 14 × 14 patch tokens in row-major order (T = 197 for a plain ViT: CLS first; models
 * with register tokens put them between CLS and the patches, as timm does). Shapes are checked
 * when the model is opened, with a dummy batch, so a wrong file is refused before any slide work.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { EngineError } from '../errors';
import { createSession, toOrt, type OrtSession, type ProviderChoice } from '../onnx/session';
import type { ExtractorManifest, FeatureExtractor } from './extractor';
import { SP_PER_TILE, TILE_PX } from './geometry';

export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];
const PATCHES = SP_PER_TILE * SP_PER_TILE; // 196
/** CLS plus up to 16 register tokens may precede the patch tokens. */
const MAX_PREFIX_TOKENS = 17;

export interface OnnxExtractorOptions {
  /** tiles per run when the model has a dynamic batch (default 8) */
  batchSize?: number;
  provider?: ProviderChoice;
  threads?: number;
  log?: (line: string) => void;
  /** overrides the normalisation (default ImageNet mean/std, as UNI, Phikon, CONCH's ViT use) */
  mean?: [number, number, number];
  std?: [number, number, number];
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function refuse(file: string, what: string): never {
  throw new EngineError('BAD_INPUT', `${basename(file)} is not a usable feature model: ${what}.`, {
    file,
    hint:
      'Export the model so that it takes one float32 input (batch, 3, 224, 224) and returns the tokens ' +
      'after the final norm, (batch, 197, D) — see docs/foundation-models.md for the UNI recipe.',
  });
}

type Dims = readonly (number | string)[];

function metaShape(session: OrtSession, which: 'input' | 'output', i: number): Dims | null {
  const meta = which === 'input' ? session.inputMetadata : session.outputMetadata;
  const m = meta[i] as
    { isTensor?: boolean; shape?: readonly (number | string)[]; type?: string } | undefined;
  if (!m || m.isTensor === false) return null;
  return m.shape ?? null;
}

/** Opens and checks a user ONNX model; refuses anything that does not fit the token contract. */
export async function loadOnnxExtractor(
  file: string,
  opts: OnnxExtractorOptions = {},
): Promise<FeatureExtractor> {
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new EngineError('NOT_FOUND', `Model file ${file} not found.`, { file });
  }
  const sha256 = await sha256File(file);
  let created;
  try {
    created = await createSession(readFileSync(file), {
      ...(opts.provider ? { provider: opts.provider } : {}),
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
  } catch (cause) {
    throw new EngineError(
      'BAD_INPUT',
      `${basename(file)} cannot be loaded by ONNX Runtime (${(cause as Error).message.split('\n')[0]}).`,
      {
        file,
        hint: 'Check that the file is a complete .onnx export (opset ≤ 21) and not a PyTorch checkpoint.',
        cause,
      },
    );
  }
  const { session, provider } = created;
  try {
    if (session.inputNames.length !== 1) {
      refuse(
        file,
        `it has ${session.inputNames.length} inputs (${session.inputNames.join(', ')}), expected one image input`,
      );
    }
    const inputName = session.inputNames[0]!;
    const outputName = session.outputNames[0];
    if (!outputName) refuse(file, 'it has no outputs');
    const inShape = metaShape(session, 'input', 0);
    const inType = (session.inputMetadata[0] as { type?: string } | undefined)?.type;
    if (inType !== undefined && inType !== 'float32')
      refuse(file, `its input is ${inType}, expected float32`);
    let fixed: number | null = null;
    if (inShape) {
      if (inShape.length !== 4)
        refuse(
          file,
          `its input has rank ${inShape.length} (${JSON.stringify(inShape)}), expected (batch, 3, 224, 224)`,
        );
      const [b, c, h, w] = inShape;
      const ok = (d: number | string | undefined, v: number) => typeof d !== 'number' || d === v || d < 0;
      if (!ok(c, 3) || !ok(h, TILE_PX) || !ok(w, TILE_PX)) {
        refuse(file, `its input is ${JSON.stringify(inShape)}, expected (batch, 3, 224, 224)`);
      }
      if (typeof b === 'number' && b > 0) fixed = b;
    }
    const batch = fixed ?? opts.batchSize ?? 8;
    // Probe: one run on a (mid-grey) batch tells the real output shape whatever the metadata says.
    const probeN = fixed ?? 1;
    const probe = new Float32Array(probeN * 3 * TILE_PX * TILE_PX);
    let outDims: readonly number[];
    try {
      const res = await session.run({ [inputName]: toOrt('float32', probe, [probeN, 3, TILE_PX, TILE_PX]) });
      outDims = res[outputName]!.dims;
    } catch (cause) {
      refuse(
        file,
        `a (${probeN}, 3, 224, 224) batch does not run through it (${(cause as Error).message.split('\n')[0]})`,
      );
    }
    if (outDims.length !== 3) {
      refuse(
        file,
        `its output "${outputName}" has shape ${JSON.stringify(outDims)}; expected tokens (batch, 197, D) — export forward_features, not the pooled embedding`,
      );
    }
    const [ob, tokens, dim] = outDims as [number, number, number];
    if (ob !== probeN) refuse(file, `its output batch is ${ob} for an input batch of ${probeN}`);
    if (tokens < PATCHES || tokens - PATCHES > MAX_PREFIX_TOKENS) {
      refuse(
        file,
        `its output has ${tokens} tokens; a ViT with patch 16 at 224 px has 196 patch tokens plus CLS (197)` +
          (tokens < PATCHES ? ' — is the patch size 16 and the input 224?' : ''),
      );
    }
    if (!(dim >= 1)) refuse(file, `its token width is ${dim}`);
    const prefix = tokens - PATCHES;
    const mean = opts.mean ?? IMAGENET_MEAN;
    const std = opts.std ?? IMAGENET_STD;
    const manifest: ExtractorManifest = {
      id: basename(file).replace(/\.onnx$/i, ''),
      kind: 'onnx',
      version: sha256.slice(0, 12),
      sha256,
      file,
      input: { size: TILE_PX, halo: 0, layout: 'NCHW', dtype: 'float32', mean, std },
      output: {
        dim,
        layout: `(rows, cols, ${dim}) float16; tokens ${prefix}..${tokens - 1} of (B, ${tokens}, ${dim}) → 14 × 14 row-major per tile`,
      },
      notes: `${prefix} prefix token(s) dropped (CLS${prefix > 1 ? ' + registers' : ''}); raw tokens, not standardised`,
    };
    const tileLen = 3 * TILE_PX * TILE_PX;
    return {
      id: manifest.id,
      dim,
      batchSize: batch,
      fixedBatch: fixed !== null,
      manifest,
      provider,
      async run(tiles, b) {
        if (tiles.length !== b * tileLen || (fixed !== null && b !== fixed)) {
          throw new EngineError('INTERNAL', `model expects ${fixed ?? 'any number of'} tiles, got ${b}`);
        }
        const res = await session.run({ [inputName]: toOrt('float32', tiles, [b, 3, TILE_PX, TILE_PX]) });
        const t = res[outputName]!;
        const data = t.data as Float32Array;
        const [tb, tt, td] = t.dims as [number, number, number];
        if (tb !== b || tt !== tokens || td !== dim) {
          throw new EngineError(
            'BAD_INPUT',
            `${basename(file)} returned ${JSON.stringify(t.dims)} for ${b} tiles.`,
            { file },
          );
        }
        if (prefix === 0) return data;
        // Drop the prefix tokens: the remaining 196 are already row-major 14 × 14.
        const out = new Float32Array(b * PATCHES * dim);
        for (let i = 0; i < b; i++) {
          out.set(data.subarray((i * tokens + prefix) * dim, (i + 1) * tokens * dim), i * PATCHES * dim);
        }
        return out;
      },
      async close() {
        await session.release();
      },
    };
  } catch (err) {
    await session.release();
    throw err;
  }
}
