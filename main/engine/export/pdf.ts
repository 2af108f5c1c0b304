/**
 * A one-page PDF holding a raster figure at a given resolution: the page is the image's size at
 * `dpi` (points = px · 72 / dpi), the pixels are one Flate-compressed DeviceRGB image XObject.
 * Written by hand (PDF 1.4, a dozen lines of objects) because no PDF writer is a dependency; the
 * figure is composited already, so the PDF carries exactly the PNG's pixels.
 */
import sharp from 'sharp';
import { deflateSync } from 'node:zlib';

export async function pdfOfPng(png: Buffer, dpi: number): Promise<Buffer> {
  // flatten onto white: a PDF image has no alpha here, and the figure's background is white
  const { data, info } = await sharp(png)
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return pdfOfRgb(data, info.width, info.height, dpi);
}

export function pdfOfRgb(rgb: Uint8Array, width: number, height: number, dpi: number): Buffer {
  if (rgb.length !== width * height * 3) throw new Error(`RGB buffer is not ${width}×${height}×3`);
  const wPt = ((width * 72) / dpi).toFixed(3);
  const hPt = ((height * 72) / dpi).toFixed(3);
  const image = deflateSync(rgb);
  const content = Buffer.from(`q ${wPt} 0 0 ${hPt} 0 0 cm /Im0 Do Q\n`, 'latin1');
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${wPt} ${hPt}] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>`,
    ),
    Buffer.concat([
      Buffer.from(
        `<< /Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length ${image.length} >>\nstream\n`,
      ),
      image,
      Buffer.from('\nendstream'),
    ]),
    Buffer.concat([
      Buffer.from(`<< /Length ${content.length} >>\nstream\n`),
      content,
      Buffer.from('endstream'),
    ]),
    Buffer.from('<< /Producer (STSR Studio) >>'),
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    parts.push(obj);
    offset += obj.length;
  });
  const xref = [
    'xref',
    `0 ${objects.length + 1}`,
    '0000000000 65535 f ',
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n `),
    'trailer',
    `<< /Size ${objects.length + 1} /Root 1 0 R /Info ${objects.length} 0 R >>`,
    'startxref',
    String(offset),
    '%%EOF',
    '',
  ].join('\n');
  parts.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat(parts);
}
