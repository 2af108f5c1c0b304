import OpenSeadragon from 'openseadragon';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { RasterLayer, SampleDetail } from '../../../../preload/contract';
import { projectFileUrl } from '../../api';
import type { ColormapName } from '../../lib/colormaps';
import { SpotIndex } from '../../lib/spot-index';
import { SpotsOverlay } from './spots-overlay';
import type { ViewLink } from './view-link';

const BLANK_PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mP8/x8AAwMCAO+ip1sAAAAASUVORK5CYII=';

export interface SpotColouring {
  label: string;
  values: number[];
  range: [number, number];
  colormap: ColormapName;
}

/** Categorical colouring: one colour and one label per spot. */
export interface SpotCategories {
  colors: string[];
  labels: string[];
}

/**
 * The one OpenSeadragon wrapper: the slide pyramid as the base layer and the spots drawn at their
 * true diameter on top. Without an image the spots are shown on white at the same scale.
 */
export function SlideViewer({
  detail,
  colouring,
  categories,
  opacity,
  rasters = [],
  showSpots = true,
  link,
  linkId = 'main',
  onViewer,
}: {
  detail: SampleDetail;
  colouring: SpotColouring | null;
  categories: SpotCategories | null;
  opacity: number;
  /** superpixel rasters (SR gene maps, feature PCA) drawn over the slide, under the spots */
  rasters?: RasterLayer[];
  showSpots?: boolean;
  /** viewers sharing a link pan and zoom together */
  link?: ViewLink;
  linkId?: string;
  /** the OpenSeadragon viewer once created (null when destroyed), for overlays such as annotations */
  onViewer?: (v: { viewer: OpenSeadragon.Viewer; worldWidthPx: number } | null) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const viewerRef = useRef<OpenSeadragon.Viewer | null>(null);
  const overlay = useRef<SpotsOverlay | null>(null);
  const [hover, setHover] = useState<{ i: number; ex: number; ey: number } | null>(null);
  const diameterPx = detail.spotDiameterUm / detail.summary.umPerPx;
  const worldWidthPx = useMemo(() => {
    if (detail.summary.image) return detail.summary.image.width;
    return Math.max(...detail.x) + diameterPx;
  }, [detail, diameterPx]);
  const index = useMemo(() => new SpotIndex(detail.x, detail.y, diameterPx), [detail, diameterPx]);

  useEffect(() => {
    const viewer = OpenSeadragon({
      element: host.current!,
      tileSources: detail.slide ? projectFileUrl(detail.slide.dzi) : { type: 'image', url: BLANK_PNG },
      showNavigationControl: false,
      gestureSettingsMouse: { clickToZoom: false },
      animationTime: 0.4,
      maxZoomPixelRatio: 4,
      visibilityRatio: 0.2,
      crossOriginPolicy: false,
      preserveImageSizeOnResize: true,
    });
    viewerRef.current = viewer;
    onViewer?.({ viewer, worldWidthPx });
    const o = new SpotsOverlay(viewer, {
      x: detail.x,
      y: detail.y,
      diameterPx,
      worldWidthPx,
      umPerPx: detail.summary.umPerPx,
    });
    overlay.current = o;
    if (!detail.slide) {
      viewer.addOnceHandler('open', () => {
        const xs = detail.x;
        const ys = detail.y;
        const pad = diameterPx;
        const minX = Math.min(...xs) - pad;
        const minY = Math.min(...ys) - pad;
        const rect = new OpenSeadragon.Rect(
          minX / worldWidthPx,
          minY / worldWidthPx,
          (Math.max(...xs) + pad - minX) / worldWidthPx,
          (Math.max(...ys) + pad - minY) / worldWidthPx,
        );
        viewer.viewport.fitBounds(rect, true);
      });
    }
    const track = new OpenSeadragon.MouseTracker({
      element: viewer.canvas,
      moveHandler: (e) => {
        const p = (e as unknown as { position: OpenSeadragon.Point }).position;
        const img = o.imageFromElement(p.x, p.y);
        const i = index.nearest(img.x, img.y, diameterPx / 2);
        setHover(i >= 0 ? { i, ex: p.x, ey: p.y } : null);
        o.setStyle({ highlight: i });
      },
      leaveHandler: () => {
        setHover(null);
        o.setStyle({ highlight: -1 });
      },
    });
    return () => {
      track.destroy();
      o.destroy();
      overlay.current = null;
      viewerRef.current = null;
      onViewer?.(null);
      viewer.destroy();
    };
    // onViewer is a callback prop: a new identity must not recreate the viewer
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [detail, diameterPx, worldWidthPx, index]);

  useEffect(() => {
    const viewer = viewerRef.current;
    if (!viewer || !link) return;
    let applying = false;
    const publish = () => {
      if (applying) return;
      const b = viewer.viewport.getBounds(true);
      link.publish(linkId, { x: b.x, y: b.y, width: b.width, height: b.height });
    };
    viewer.addHandler('viewport-change', publish);
    const unsubscribe = link.subscribe(linkId, (b) => {
      applying = true;
      viewer.viewport.fitBounds(new OpenSeadragon.Rect(b.x, b.y, b.width, b.height), true);
      applying = false;
    });
    return () => {
      unsubscribe();
      viewer.removeHandler('viewport-change', publish);
    };
  }, [link, linkId, detail]);

  useEffect(() => {
    const viewer = viewerRef.current;
    if (!viewer) return;
    const added: OpenSeadragon.TiledImage[] = [];
    let live = true;
    for (const r of rasters) {
      viewer.addTiledImage({
        tileSource: { type: 'image', url: projectFileUrl(r.path) },
        x: r.x / worldWidthPx,
        y: r.y / worldWidthPx,
        width: r.width / worldWidthPx,
        opacity: 0.85,
        success: (e) => {
          const item = (e as unknown as { item: OpenSeadragon.TiledImage }).item;
          if (live) added.push(item);
          else viewer.world.removeItem(item);
        },
      });
    }
    return () => {
      live = false;
      for (const item of added) viewer.world.removeItem(item);
    };
  }, [rasters, worldWidthPx]);

  useEffect(() => {
    overlay.current?.setStyle({
      colors: categories?.colors ?? null,
      values: colouring?.values ?? null,
      range: colouring?.range ?? [0, 1],
      colormap: colouring?.colormap ?? 'viridis',
      opacity: showSpots ? opacity : 0,
    });
  }, [colouring, categories, opacity, detail, showSpots]);

  return (
    <div className="viewer-host">
      <div ref={host} className="viewer" data-testid="slide-viewer" />
      {hover && (
        <div
          className="hover-tip"
          style={{ left: hover.ex + 14, top: hover.ey + 14 }}
          data-testid="hover-tip"
        >
          <div>{detail.spotIds[hover.i]}</div>
          {categories ? (
            <div>{categories.labels[hover.i]}</div>
          ) : (
            colouring && (
              <div>
                {colouring.label}: {colouring.values[hover.i]!.toFixed(3)}
              </div>
            )
          )}
        </div>
      )}
    </div>
  );
}
