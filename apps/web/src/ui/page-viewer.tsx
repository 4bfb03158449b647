import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, expectOk, fetchBlob, purposeHeader } from '../api/client';
import type { VersionView } from '../api/types';
import { ErrorMessage } from './error-message';

const ZOOMS = [0.5, 0.75, 1, 1.5, 2];

/** One page of a version as the server renders it, with the search hit's words outlined from the OCR word boxes. */
export function PageViewer(props: { recordId: string; version: VersionView; page: number; onPage: (page: number) => void; highlight: string[] }) {
  const { recordId, version, page, onPage, highlight } = props;
  const pages = version.pages ?? 1;
  const [zoom, setZoom] = useState(1);
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  const image = useQuery({
    queryKey: ['page-image', recordId, version.version, page],
    queryFn: async () => URL.createObjectURL(await fetchBlob(`/api/records/${recordId}/versions/${version.version}/pages/${page}/image`, 'image/png')),
    staleTime: Infinity,
    gcTime: 60_000,
  });
  useEffect(() => {
    const url = image.data;
    return () => {
      if (url) URL.revokeObjectURL(url);
    };
  }, [image.data]);
  const text = useQuery({
    queryKey: ['text', recordId, version.version],
    enabled: version.ocr.status === 'done' && highlight.length > 0,
    queryFn: () =>
      expectOk(
        api.GET('/api/records/{id}/versions/{v}/text', { params: { path: { id: recordId, v: String(version.version) as never }, header: purposeHeader() } }),
      ),
  });
  const wanted = new Set(highlight.map(normalise).filter((w) => w.length > 0));
  const boxes = (text.data?.pages.find((p) => p.page === page)?.words ?? []).filter((w) => wanted.has(normalise(w.text)));

  return (
    <section aria-labelledby="viewer-title" className="viewer">
      <h2 id="viewer-title">
        Page {page} of {pages}, version {version.version}
      </h2>
      <div className="toolbar" role="group" aria-label="Page and zoom">
        <button type="button" onClick={() => onPage(page - 1)} disabled={page <= 1}>
          Previous page
        </button>
        <button type="button" onClick={() => onPage(page + 1)} disabled={page >= pages}>
          Next page
        </button>
        <button type="button" onClick={() => setZoom(ZOOMS[Math.max(0, ZOOMS.indexOf(zoom) - 1)])} disabled={zoom === ZOOMS[0]}>
          Zoom out
        </button>
        <span aria-live="polite">{Math.round(zoom * 100)}% of the width</span>
        <button type="button" onClick={() => setZoom(ZOOMS[Math.min(ZOOMS.length - 1, ZOOMS.indexOf(zoom) + 1)])} disabled={zoom === ZOOMS[ZOOMS.length - 1]}>
          Zoom in
        </button>
        {boxes.length > 0 && <span className="hit-count">{boxes.length === 1 ? '1 match highlighted' : `${boxes.length} matches highlighted`}</span>}
      </div>
      <ErrorMessage error={image.error} />
      {image.data && (
        <div className="page-frame" role="region" aria-label={`Page ${page} image`} tabIndex={0}>
          <div className="page" style={{ width: `${zoom * 100}%` }}>
            <img
              src={image.data}
              alt={`Page ${page} of the scanned document`}
              onLoad={(e) => setSize({ width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight })}
            />
            {size &&
              boxes.map((w, i) => (
                <mark
                  key={i}
                  className="word-box"
                  aria-hidden="true"
                  style={{
                    left: `${(w.bbox.x0 / size.width) * 100}%`,
                    top: `${(w.bbox.y0 / size.height) * 100}%`,
                    width: `${((w.bbox.x1 - w.bbox.x0) / size.width) * 100}%`,
                    height: `${((w.bbox.y1 - w.bbox.y0) / size.height) * 100}%`,
                  }}
                />
              ))}
          </div>
        </div>
      )}
      {!image.data && !image.error && <p role="status">Loading page {page}…</p>}
    </section>
  );
}

const normalise = (word: string): string => word.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
