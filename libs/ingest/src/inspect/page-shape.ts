import { IngestRefusal } from './ingest-refusal';

export interface PageShapeLimits {
  /** Shortest side a page may have, in pixels. */
  minPageSidePixels: number;
  /** Longest side over shortest side a page may have. */
  maxPageAspectRatio: number;
}

/**
 * Whether a page of width x height pixels is a plausible page of a chart. A page a pixel wide and
 * millions long compresses to a few KB but costs libvips seconds a million rows (one row at a time)
 * and tesseract gigabytes: refused from the header, before anything is decoded.
 * Returns the refusal (page-too-narrow before page-too-elongated), or undefined for a plausible page.
 */
export function pageShapeRefusal(width: number, height: number, limits: PageShapeLimits): IngestRefusal | undefined {
  const shortest = Math.min(width, height);
  const longest = Math.max(width, height);
  if (shortest < limits.minPageSidePixels) {
    return new IngestRefusal('page-too-narrow', `A page is narrower than the ${limits.minPageSidePixels} pixels allowed`);
  }
  if (longest > shortest * limits.maxPageAspectRatio) {
    return new IngestRefusal('page-too-elongated', `A page is more than ${limits.maxPageAspectRatio} times longer than it is wide`);
  }
  return undefined;
}

export function checkPageShape(width: number, height: number, limits: PageShapeLimits): void {
  const refusal = pageShapeRefusal(width, height, limits);
  if (refusal) throw refusal;
}
