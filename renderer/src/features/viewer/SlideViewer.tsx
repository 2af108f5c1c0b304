import OpenSeadragon from 'openseadragon';
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { SampleDetail } from '../../../../preload/contract';
import { projectFileUrl } from '../../api';
import { LayerCanvas, type DrawLayer, type SpotGeometry } from '../layers/layer-canvas';
import type { ViewerHandle } from './viewer-handle';
import type { ViewLink } from './view-link';

const BLANK_PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mP8/x8AAwMCAO+ip1sAAAAASUVORK5CYII=';

/** What is under the pointer: lines for the tip, and the spot to ring. */
export interface Inspection {
  lines: { label: string; value: string }[];
  spot?: { spots: SpotGeometry; i: number };
}

/**
 * The one OpenSeadragon wrapper: the slide pyramid as the base layer (with a minimap and a home
 * button) and the overlay layers drawn on one canvas above it. Without an image the layers are
 * shown on white at the same scale. Hovering asks `inspect` what is under the pointer; a click
 * pins the tip until the next click.
 */
export function SlideViewer({
  detail,
  layers,
  slideOpacity = 1,
  inspect,
  link,
  linkId = 'main',
  onReady,
  onViewport,
  initialViewport,
  children,
}: {
  detail: SampleDetail;
  layers: DrawLayer[];
  slideOpacity?: number;
  inspect?: (x: number, y: number) => Inspection | null;
  /** viewers sharing a link pan and zoom together */
  link?: ViewLink;
  linkId?: string;
  onReady?: (handle: ViewerHandle | null) => void;
  /** the visible rectangle in viewport coordinates, after each pan or zoom */
  onViewport?: (b: { x: number; y: number; width: number; height: number }) => void;
  initialViewport?: { x: number; y: number; width: number; height: number } | null;
  children?: ReactNode;
}) {
  const host = useRef<HTMLDivElement>(null);
  const viewerRef = useRef<OpenSeadragon.Viewer | null>(null);
  const canvas = useRef<LayerCanvas | null>(null);
  const [tip, setTip] = useState<{ info: Inspection; ex: number; ey: number; pinned: boolean } | null>(null);
  const pinned = useRef(false);
  const inspectRef = useRef(inspect);
  const onViewportRef = useRef(onViewport);
  const initial = useRef(initialViewport);
  useEffect(() => {
    inspectRef.current = inspect;
    onViewportRef.current = onViewport;
  });
  const diameterPx = detail.spotDiameterUm / detail.summary.umPerPx;
  const worldWidthPx = useMemo(() => {
    if (detail.summary.image) return detail.summary.image.width;
    return Math.max(...detail.x) + diameterPx;
  }, [detail, diameterPx]);

  useEffect(() => {
    const viewer = OpenSeadragon({
      element: host.current!,
      tileSources: detail.slide ? projectFileUrl(detail.slide.dzi) : { type: 'image', url: BLANK_PNG },
      showNavigationControl: false,
      showNavigator: Boolean(detail.slide),
      navigatorPosition: 'BOTTOM_RIGHT',
      navigatorSizeRatio: 0.15,
      navigatorAutoFade: false,
      autoHideControls: false,
      gestureSettingsMouse: { clickToZoom: false },
      animationTime: 0.4,
      maxZoomPixelRatio: 4,
      visibilityRatio: 0.2,
      crossOriginPolicy: false,
      preserveImageSizeOnResize: true,
    });
    viewerRef.current = viewer;
    const lc = new LayerCanvas(viewer, { widthPx: worldWidthPx, umPerPx: detail.summary.umPerPx });
    canvas.current = lc;
    const home = (): OpenSeadragon.Rect | null => {
      if (detail.slide) return null;
      const xs = detail.x;
      const ys = detail.y;
      const pad = diameterPx;
      const minX = Math.min(...xs) - pad;
      const minY = Math.min(...ys) - pad;
      return new OpenSeadragon.Rect(
        minX / worldWidthPx,
        minY / worldWidthPx,
        (Math.max(...xs) + pad - minX) / worldWidthPx,
        (Math.max(...ys) + pad - minY) / worldWidthPx,
      );
    };
    viewer.addOnceHandler('open', () => {
      const saved = initial.current;
      const rect = saved ? new OpenSeadragon.Rect(saved.x, saved.y, saved.width, saved.height) : home();
      if (rect) viewer.viewport.fitBounds(rect, true);
    });
    const goHome = () => {
      const rect = home();
      if (rect) viewer.viewport.fitBounds(rect);
      else viewer.viewport.goHome();
    };
    (viewer as unknown as { stsrHome: () => void }).stsrHome = goHome;
    const publish = () => {
      const b = viewer.viewport.getBounds(true);
      onViewportRef.current?.({ x: b.x, y: b.y, width: b.width, height: b.height });
    };
    viewer.addHandler('animation-finish', publish);
    const lookup = (p: OpenSeadragon.Point) => {
      const img = lc.imageFromElement(p.x, p.y);
      return inspectRef.current?.(img.x, img.y) ?? null;
    };
    const track = new OpenSeadragon.MouseTracker({
      element: viewer.canvas,
      moveHandler: (e) => {
        if (pinned.current) return;
        const p = (e as unknown as { position: OpenSeadragon.Point }).position;
        const info = lookup(p);
        setTip(info ? { info, ex: p.x, ey: p.y, pinned: false } : null);
        lc.setHighlight(info?.spot ?? null);
      },
      leaveHandler: () => {
        if (pinned.current) return;
        setTip(null);
        lc.setHighlight(null);
      },
    });
    // A click pins the tip. It comes from the viewer's own canvas-click: a second MouseTracker on the
    // canvas never sees presses (the viewer's tracker cancels them first). An overlay that used
    // the click (a drawing tool) has set preventDefaultAction, and runs first by priority.
    const onClick = (ev: OpenSeadragon.CanvasClickEvent) => {
      if (!ev.quick || ev.preventDefaultAction) return; // a drag, or a click an overlay used
      if (pinned.current) {
        pinned.current = false;
        setTip(null);
        lc.setHighlight(null);
        return;
      }
      const info = lookup(ev.position);
      if (!info) return;
      pinned.current = true;
      setTip({ info, ex: ev.position.x, ey: ev.position.y, pinned: true });
      lc.setHighlight(info.spot ?? null);
    };
    viewer.addHandler('canvas-click', onClick);
    onReady?.({
      viewer,
      worldWidthPx,
      umPerPx: detail.summary.umPerPx,
      imageFromElement: (ex, ey) => lc.imageFromElement(ex, ey),
      elementFromImage: (x, y) => {
        const t = lc.transform();
        return { x: t.ox + x * t.scale, y: t.oy + y * t.scale };
      },
    });
    return () => {
      onReady?.(null);
      track.destroy();
      lc.destroy();
      canvas.current = null;
      viewerRef.current = null;
      viewer.destroy();
    };
    // onReady is a setter from the parent; the viewer is rebuilt only for another sample
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [detail, diameterPx, worldWidthPx]);

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
    canvas.current?.setLayers(layers);
  }, [layers, detail]);

  useEffect(() => {
    const viewer = viewerRef.current;
    if (!viewer) return;
    const apply = () => viewer.world.getItemAt(0)?.setOpacity(slideOpacity);
    apply();
    viewer.world.addHandler('add-item', apply);
    return () => viewer.world.removeHandler('add-item', apply);
  }, [slideOpacity, detail]);

  return (
    <div className="viewer-host">
      <div ref={host} className="viewer" data-testid="slide-viewer" />
      <button
        className="home-button"
        title="Fit the section to the view (H or 0)"
        aria-label="Fit to view"
        onClick={() => (viewerRef.current as unknown as { stsrHome?: () => void } | null)?.stsrHome?.()}
      >
        ⌂
      </button>
      {children}
      {tip && (
        <div
          className={tip.pinned ? 'hover-tip pinned' : 'hover-tip'}
          style={{ left: tip.ex + 14, top: tip.ey + 14 }}
          data-testid="hover-tip"
        >
          {tip.info.lines.map((l) => (
            <div key={l.label}>
              <span className="muted">{l.label}</span> {l.value}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

/** Categorical colouring: one colour and one label per spot (domains). */
export interface SpotCategories {
  colors: string[];
  labels: string[];
}
