// "Segment a scan" on a fine-tuning run's page: drop (or choose) a NIfTI, the server segments it with the run's
// model (POST /api/runs/:id/segment, JSON answer), and the page shows the mask over the scan, the kidney volumes and
// a download of the mask. The scan is drawn from the file in the browser; only the mask is stored on the server.
import { useState, type DragEvent } from 'react';
import { fetchBlob } from '../api/client';
import { ApiError, describeError } from '../api/errors';
import { authHeader } from '../api/token';
import { readNifti, type BrowserVolume } from '../lib/nifti';
import { download } from './auth-image';
import { ScanCanvas } from './scan-canvas';

interface Answer {
  segmentationId: string;
  volumesMl: { right: number; left: number };
  shape: number[];
  maskUrl: string;
  device: string;
}

async function segment(runId: string, file: File): Promise<Answer> {
  const res = await fetch(`/api/runs/${encodeURIComponent(runId)}/segment?name=${encodeURIComponent(file.name.replace(/[^\w.+-]/g, '_'))}`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/octet-stream', ...authHeader() },
    body: file,
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(body?.error?.message ?? `${res.status} ${res.statusText}`, body?.error?.code ?? 'INTERNAL_SERVER_ERROR');
  return body as Answer;
}

export function SegmentUpload({ runId, channelNames }: { runId: string; channelNames: string[] }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<{ file: string; answer: Answer; scan: BrowserVolume; mask: Uint8Array } | null>(null);
  const [over, setOver] = useState(false);

  const run = async (file: File) => {
    setError(null);
    setBusy(`Segmenting ${file.name} …`);
    try {
      const answer = await segment(runId, file);
      const [scan, maskFile] = await Promise.all([file.arrayBuffer().then(readNifti), fetchBlob(answer.maskUrl).then((b) => b.arrayBuffer())]);
      const mask = readNifti(maskFile);
      setResult({ file: file.name, answer, scan, mask: Uint8Array.from(mask.data) });
    } catch (e) {
      setResult(null);
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const file = e.dataTransfer.files[0];
    if (file) void run(file);
  };
  const total = result ? result.answer.volumesMl.right + result.answer.volumesMl.left : 0;
  return (
    <div className="segment-upload">
      <label
        className={`drop-zone ${over ? 'over' : ''}`}
        data-testid="drop-zone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <input type="file" name="scan" accept=".nii,.nii.gz,.gz" onChange={(e) => e.target.files?.[0] && void run(e.target.files[0])} />
        <span>
          Drop a NIfTI scan here (.nii or .nii.gz, {channelNames.length} channel{channelNames.length === 1 ? '' : 's'} as the 4th dimension:{' '}
          {channelNames.join(', ')}), or choose a file.
        </span>
      </label>
      {busy && (
        <p className="muted" role="status">
          {busy}
        </p>
      )}
      {error && (
        <div className="error" role="alert">
          {error}
        </div>
      )}
      {result && (
        <div className="segment-result" data-testid="segment-result">
          <ScanCanvas scan={result.scan} mask={result.mask} channelNames={channelNames} />
          <div>
            <table className="volumes">
              <tbody>
                <tr>
                  <th>Right kidney</th>
                  <td className="num" data-testid="volume-right">
                    {result.answer.volumesMl.right.toFixed(2)} mL
                  </td>
                </tr>
                <tr>
                  <th>Left kidney</th>
                  <td className="num" data-testid="volume-left">
                    {result.answer.volumesMl.left.toFixed(2)} mL
                  </td>
                </tr>
                <tr>
                  <th>Total</th>
                  <td className="num">{total.toFixed(2)} mL</td>
                </tr>
              </tbody>
            </table>
            <p className="muted small">
              {result.file}: {result.answer.shape.join('×')} voxels, segmented on {result.answer.device}
            </p>
            <button
              type="button"
              data-testid="download-mask"
              onClick={() =>
                download(result.answer.maskUrl, `${result.file.replace(/\.nii(\.gz)?$/, '')}_mask.nii.gz`).catch((e) => setError(describeError(e)))
              }
            >
              Download the mask (NIfTI)
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
