/**
 * Segmenting a scan with a trained run over plain HTTP (README "Segmenting a new scan"):
 *   POST /api/runs/:id/segment[?name=scan.nii.gz]   body: the NIfTI image (.nii or .nii.gz), channels as dim 4
 *     → 200 the mask .nii.gz on the image's grid and affine, with X-Nephron-Volume-Right-Ml / -Left-Ml headers;
 *       with `Accept: application/json`: {volumesMl, shape, maskUrl, ...} (the mask is then stored for maskUrl).
 *   GET /files/segmentations/:id/mask.nii.gz          a stored segmentation's mask (any caller)
 * Segmenting needs an OPERATOR token and counts against the caller's mutation rate limit, like a mutation.
 * Errors are JSON {error: {code, message}}: 400/413 BAD_USER_INPUT (nothing stored), 401, 403, 404 NOT_FOUND,
 * 409 CONFLICT (not a SUCCEEDED FINETUNE run), 429 RATE_LIMITED with Retry-After.
 */
import path from 'node:path';
import type express from 'express';
import { AppError, forbidden } from '../errors';
import { Role } from '../schema/enums';
import { maskUrl } from '../services/segmentation.service';
import type { RouteDeps, RouteInstaller } from './route-deps';

const STATUS: Record<string, number> = { BAD_USER_INPUT: 400, NOT_FOUND: 404, UNAUTHENTICATED: 401, FORBIDDEN: 403, CONFLICT: 409, RATE_LIMITED: 429 };

export const VOLUME_HEADERS = { right: 'X-Nephron-Volume-Right-Ml', left: 'X-Nephron-Volume-Left-Ml' } as const;

function sendError(res: express.Response, deps: RouteDeps, req: express.Request, e: unknown): void {
  if (e instanceof AppError) {
    const retry = e.extensions.retryAfterSeconds;
    if (retry !== undefined) res.set('retry-after', String(retry));
    const status = (e.extensions.status as number | undefined) ?? STATUS[e.code] ?? 500;
    const { field, reason } = e.extensions as { field?: string; reason?: string };
    res.status(status).json({ error: { code: e.code, message: e.message, ...(field ? { field } : {}), ...(reason ? { reason } : {}) } });
  } else {
    deps.log.error({ err: e, url: req.originalUrl }, 'segment route failed');
    res.status(500).json({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'internal error' } });
  }
}

/** The request body, refusing (413 BAD_USER_INPUT) as soon as it is known to exceed `maxBytes`. */
async function readBody(req: express.Request, maxBytes: number, maxMb: number): Promise<Uint8Array> {
  const tooLarge = (size: string) =>
    new AppError('BAD_USER_INPUT', `the image is ${size}, over the limit of ${maxMb} MiB (NEPHRON_SEGMENT_MAX_MB)`, {
      field: 'body',
      reason: 'too large',
      status: 413,
    });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(`${(declared / 2 ** 20).toFixed(1)} MiB`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) throw tooLarge(`more than ${maxMb} MiB`);
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks, total);
  // a Uint8Array that owns its memory, so it can move to the worker thread
  return new Uint8Array(
    body.buffer.byteLength === body.byteLength ? body.buffer : body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength),
    0,
    body.byteLength,
  );
}

/** The upload's name in error messages: `?name=` when it is a plain file name, else "request body". */
function uploadName(value: unknown): string {
  return typeof value === 'string' && /^[\w.+-]{1,200}$/.test(value) ? path.basename(value) : 'request body';
}

export const segmentRoutes: RouteInstaller = (app, deps) => {
  const segmentations = deps.services.segmentations;
  const maxMb = deps.config.segmentMaxMb;
  app.post('/api/runs/:id/segment', async (req, res) => {
    try {
      const caller = await deps.authenticate(req);
      if (caller.role === Role.VIEWER) throw forbidden('segmenting needs the OPERATOR or ADMIN role; your token has VIEWER');
      deps.takeMutation(caller, req);
      const runId = String(req.params.id);
      await segmentations.segmentableRun(runId); // NOT_FOUND / CONFLICT before reading megabytes
      const bytes = await readBody(req, maxMb * 2 ** 20, maxMb);
      const json = req.accepts(['application/gzip', 'application/octet-stream', 'application/json']) === 'application/json';
      const { result, segmentation } = await segmentations.segmentUpload(runId, bytes, uploadName(req.query.name), json);
      deps.log.info({ runId, shape: [result.width, result.height, result.slices], ms: Math.round(result.ms), device: result.device }, 'scan segmented');
      res.set({ [VOLUME_HEADERS.right]: String(result.volumesMl.right), [VOLUME_HEADERS.left]: String(result.volumesMl.left), 'cache-control': 'no-store' });
      // a dashboard on an allowed other origin (NEPHRON_ALLOWED_ORIGINS, ./origin-guard.ts) may read the volumes too
      if (res.getHeader('access-control-allow-origin'))
        res.set('access-control-expose-headers', `retry-after, ${VOLUME_HEADERS.right}, ${VOLUME_HEADERS.left}`);
      if (json) {
        res.json({
          runId,
          segmentationId: segmentation!.id,
          volumesMl: result.volumesMl,
          shape: [result.width, result.height, result.slices],
          spacingMm: result.spacingMm,
          affine: result.affine,
          maskUrl: maskUrl(segmentation!.id),
          device: result.device,
        });
        return;
      }
      res.set({ 'content-type': 'application/gzip', 'content-disposition': `attachment; filename="mask-${runId}.nii.gz"` });
      res.send(Buffer.from(result.nifti!.buffer, result.nifti!.byteOffset, result.nifti!.byteLength));
    } catch (e) {
      // the rest of an unread body is not worth reading: answer and close the connection
      if (!req.complete) res.set('connection', 'close');
      sendError(res, deps, req, e);
    }
  });

  app.get('/files/segmentations/:id/mask.nii.gz', async (req, res) => {
    try {
      await deps.authenticate(req);
      const { bytes, segmentation } = await segmentations.maskNifti(String(req.params.id));
      res.set({
        'content-type': 'application/gzip',
        'content-disposition': `attachment; filename="mask-${segmentation.runId}-${segmentation.id}.nii.gz"`,
        'cache-control': 'private, max-age=3600',
      });
      res.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (e) {
      sendError(res, deps, req, e);
    }
  });
};
