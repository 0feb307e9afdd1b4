// An image from the /images endpoints, fetched with the API token (an <img src> cannot send it). The previous
// picture stays until the next one arrives, so dragging a slider does not flicker.
import { useEffect, useState } from 'react';
import { fetchBlob } from '../api/client';
import { describeError } from '../api/errors';

export function AuthImage({ src, alt, className, width }: { src: string; alt: string; className?: string; width?: number }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ctl = new AbortController();
    fetchBlob(src, ctl.signal).then(
      (blob) => {
        setUrl(URL.createObjectURL(blob)); // the effect below revokes the previous one
        setError(null);
      },
      (e) => {
        if (!ctl.signal.aborted) setError(e instanceof Error ? e.message : describeError(e));
      },
    );
    return () => ctl.abort();
  }, [src]);
  useEffect(
    () => () => {
      if (url) URL.revokeObjectURL(url);
    },
    [url],
  );
  if (error)
    return (
      <div className={`img-error ${className ?? ''}`} style={{ width }} role="alert">
        {error}
      </div>
    );
  if (!url) return <div className={`img-loading ${className ?? ''}`} style={{ width, height: width }} />;
  return <img src={url} alt={alt} className={className} width={width} data-loaded="true" />;
}

/** Downloads a file endpoint with the token and saves it under the server's file name. */
export async function download(href: string, fallbackName: string): Promise<void> {
  const blob = await fetchBlob(href);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = fallbackName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
