import type OpenSeadragon from 'openseadragon';
import { createContext, useContext } from 'react';

/**
 * What overlays (e.g. annotation drawing) need from the viewer on screen: the OpenSeadragon
 * instance and the map between slide pixels (full resolution) and element pixels. SampleView
 * provides it through ViewerHandleContext to any child; SlideViewer also renders its `children`
 * inside the viewer's host element, above the layer canvas.
 */
export interface ViewerHandle {
  viewer: OpenSeadragon.Viewer;
  /** full-resolution slide width in pixels (OpenSeadragon's world is 1 wide) */
  worldWidthPx: number;
  umPerPx: number;
  imageFromElement(ex: number, ey: number): { x: number; y: number; scale: number };
  elementFromImage(x: number, y: number): { x: number; y: number };
}

export const ViewerHandleContext = createContext<ViewerHandle | null>(null);

/** The main viewer of the open sample, or null before it has opened. */
export function useViewerHandle(): ViewerHandle | null {
  return useContext(ViewerHandleContext);
}
