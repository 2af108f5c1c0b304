/**
 * Picks a round scale-bar length (1, 2 or 5 × 10ⁿ µm) that is at most `maxPx` screen pixels long
 * at the given µm per screen pixel.
 */
export function niceScaleBar(umPerScreenPx: number, maxPx = 140): { um: number; px: number; label: string } {
  if (!(umPerScreenPx > 0) || !Number.isFinite(umPerScreenPx)) return { um: 0, px: 0, label: '' };
  const maxUm = umPerScreenPx * maxPx;
  const exp = Math.floor(Math.log10(maxUm));
  let um = 10 ** exp;
  for (const m of [5, 2, 1]) {
    if (m * 10 ** exp <= maxUm) {
      um = m * 10 ** exp;
      break;
    }
  }
  const label = um >= 1000 ? `${um / 1000} mm` : um >= 1 ? `${um} µm` : `${um * 1000} nm`;
  return { um, px: um / umPerScreenPx, label };
}
