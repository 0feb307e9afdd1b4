// One series, slice by slice: slice and channel sliders, overlays (manual mask, constraint map, a run's
// prediction) from the PNG endpoint, and NIfTI downloads.
import { useState } from 'react';
import { describeError } from '../api/errors';
import { AuthImage, download } from './auth-image';

export interface SeriesInfo {
  id: string;
  contrast: string;
  channels: string[];
  width: number;
  height: number;
  slices: number;
  spacingMm: number[];
  hasMask: boolean;
  kidneyVolumesMl: { right: number; left: number } | null;
}

export function sliceUrl(seriesId: string, slice: number, channel: number, overlay: string): string {
  const q = new URLSearchParams({ channel: String(channel) });
  if (overlay) q.set('overlay', overlay);
  return `/images/series/${encodeURIComponent(seriesId)}/slice/${slice}.png?${q}`;
}

/** Slice and channel sliders (inputs named `${prefix}slice` and `${prefix}channel`), shared with ScanCanvas. */
export function SliceSliders({
  slice,
  slices,
  onSlice,
  channel,
  channelNames,
  onChannel,
  prefix = '',
}: {
  slice: number;
  slices: number;
  onSlice: (s: number) => void;
  channel: number;
  channelNames: string[];
  onChannel: (c: number) => void;
  prefix?: string;
}) {
  return (
    <>
      <label>
        Slice {slice + 1} of {slices}
        <input type="range" name={`${prefix}slice`} min={0} max={slices - 1} value={slice} onChange={(e) => onSlice(Number(e.target.value))} />
      </label>
      <label>
        Channel: {channelNames[channel] ?? channel + 1}
        <input
          type="range"
          name={`${prefix}channel`}
          min={0}
          max={Math.max(0, channelNames.length - 1)}
          value={channel}
          disabled={channelNames.length < 2}
          onChange={(e) => onChannel(Number(e.target.value))}
        />
      </label>
    </>
  );
}

export function SliceViewer({ series, initialOverlay = '' }: { series: SeriesInfo; initialOverlay?: string }) {
  const [slice, setSlice] = useState(Math.floor(series.slices / 2));
  const [channel, setChannel] = useState(0);
  const [overlay, setOverlay] = useState(initialOverlay.startsWith('run:') ? 'run' : initialOverlay);
  const [runId, setRunId] = useState(initialOverlay.startsWith('run:') ? initialOverlay.slice(4) : '');
  const [dlError, setDlError] = useState<string | null>(null);
  const effective = overlay === 'run' ? (runId.trim() ? `run:${runId.trim()}` : '') : overlay;
  const save = (path: string, name: string) => download(path, name).catch((e) => setDlError(describeError(e)));
  return (
    <div className="slice-viewer" data-series={series.id}>
      <AuthImage src={sliceUrl(series.id, slice, channel, effective)} alt={`${series.contrast} slice ${slice}`} className="slice" width={320} />
      <div className="slice-controls">
        <SliceSliders slice={slice} slices={series.slices} onSlice={setSlice} channel={channel} channelNames={series.channels} onChannel={setChannel} />
        <fieldset className="overlay-choice">
          <legend>Overlay</legend>
          {[
            ['', 'none'],
            ['mask', 'manual mask'],
            ['constraints', 'constraint map'],
            ['run', 'prediction of run'],
          ].map(([v, text]) => (
            <label key={v}>
              <input
                type="radio"
                name={`overlay-${series.id}`}
                value={v}
                checked={overlay === v}
                disabled={v === 'mask' && !series.hasMask}
                onChange={() => setOverlay(v)}
              />
              {text}
            </label>
          ))}
          {overlay === 'run' && (
            <input className="run-id" name="run-id" placeholder="run id (from the Runs page)" value={runId} onChange={(e) => setRunId(e.target.value)} />
          )}
        </fieldset>
        <p className="muted small">
          {series.width}×{series.height}×{series.slices} voxels of {series.spacingMm.map((v) => v.toFixed(2)).join(' × ')} mm
        </p>
        <div className="downloads">
          <button type="button" onClick={() => save(`/files/series/${series.id}.nii.gz`, `${series.contrast}-${series.id}.nii.gz`)}>
            Download image (NIfTI)
          </button>
          {series.hasMask && (
            <button type="button" onClick={() => save(`/files/series/${series.id}/mask.nii.gz`, `${series.contrast}-${series.id}_mask.nii.gz`)}>
              Download mask (NIfTI)
            </button>
          )}
        </div>
        {dlError && (
          <div className="error" role="alert">
            {dlError}
          </div>
        )}
      </div>
    </div>
  );
}
