import { useCallback, useEffect, useRef, useState } from 'react';

export interface Saved {
  url: string;
  filename: string;
  size: number;
}

/**
 * Saves a blob fetched with the credentials (fetchBlob) as a file: an object URL behind an
 * `a[download]`, clicked once for the user and then offered as a link to save it again. The
 * object URLs are revoked when the screen goes.
 */
export function useDownload() {
  const urls = useRef<string[]>([]);
  const [saved, setSaved] = useState<Record<string, Saved>>({});
  useEffect(() => {
    const made = urls.current;
    return () => made.forEach((url) => URL.revokeObjectURL(url));
  }, []);
  const save = useCallback((key: string, blob: Blob, filename: string) => {
    const url = URL.createObjectURL(blob);
    urls.current.push(url);
    const link = document.createElement('a');
    link.href = url;
    link.download = filename;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setSaved((s) => ({ ...s, [key]: { url, filename, size: blob.size } }));
  }, []);
  return { saved, save };
}

/** The link to save a downloaded file again, with its size. */
export function SavedLink({ saved }: { saved: Saved | undefined }) {
  if (!saved) return null;
  return (
    <a href={saved.url} download={saved.filename}>
      Save {saved.filename} again ({formatSize(saved.size)})
    </a>
  );
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
