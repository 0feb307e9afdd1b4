/**
 * Pixel data over plain HTTP, with the API's authentication (any valid caller, i.e. VIEWER or above):
 *   GET /files/series/:id.nii.gz             the series as a float32 4D NIfTI-1 (x, y, slice, channel)
 *   GET /files/series/:id/mask.nii.gz        its mask (uint8 3D labels 0/1/2)
 *   GET /files/runs/:id/subjects/:subjectId/prediction.nii.gz   a fine-tuning run's predicted labels (uint8 3D)
 *   GET /images/series/:id/slice/:k.png      one slice, ?channel=0&overlay=mask|constraints|run:<runId>
 * Errors are JSON {error: {code, message}} with 400/401/404.
 */
import type express from 'express';
import { AppError, badInput, notFound } from '../errors';
import type { Series } from '../schema/series.entity';
import type { SliceOverlay } from '../services/series-data.service';
import type { RouteInstaller } from './route-deps';

const STATUS: Record<string, number> = { BAD_USER_INPUT: 400, NOT_FOUND: 404, UNAUTHENTICATED: 401, FORBIDDEN: 403 };

/** Wraps a handler: authenticate, run, map AppErrors to JSON with their status, anything else to a logged 500. */
function handler(deps: Parameters<RouteInstaller>[1], fn: (req: express.Request, res: express.Response) => Promise<void>): express.RequestHandler {
  return async (req, res) => {
    try {
      await deps.authenticate(req);
      await fn(req, res);
    } catch (e) {
      if (e instanceof AppError) {
        res.status(STATUS[e.code] ?? 500).json({ error: { code: e.code, message: e.message, ...(e.extensions.field ? { field: e.extensions.field } : {}) } });
      } else {
        deps.log.error({ err: e, url: req.originalUrl }, 'data route failed');
        res.status(500).json({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'internal error' } });
      }
    }
  };
}

function sendNifti(res: express.Response, bytes: Uint8Array, filename: string): void {
  res.set({ 'content-type': 'application/gzip', 'content-disposition': `attachment; filename="${filename}"`, 'cache-control': 'private, max-age=3600' });
  res.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

const fileName = (s: Series, suffix: string) => `${s.contrast}-${s.id}${suffix}.nii.gz`;

export const fileRoutes: RouteInstaller = (app, deps) => {
  const data = deps.services.seriesData;
  app.get(
    '/files/series/:name',
    handler(deps, async (req, res) => {
      const m = /^(.+)\.nii\.gz$/.exec(String(req.params.name));
      if (!m) throw notFound('file', String(req.params.name));
      const series = await data.require(m[1]);
      sendNifti(res, (await data.nifti(series, 'image'))!, fileName(series, ''));
    }),
  );
  app.get(
    '/files/series/:id/mask.nii.gz',
    handler(deps, async (req, res) => {
      const series = await data.require(String(req.params.id));
      const bytes = await data.nifti(series, 'mask');
      if (!bytes) throw new AppError('NOT_FOUND', `series ${series.id} has no mask`);
      sendNifti(res, bytes, fileName(series, '_mask'));
    }),
  );
  app.get(
    '/files/runs/:runId/subjects/:subjectId/prediction.nii.gz',
    handler(deps, async (req, res) => {
      const { bytes, series } = await data.predictionNifti(String(req.params.runId), String(req.params.subjectId));
      sendNifti(res, bytes, fileName(series, `_prediction-${req.params.runId}`));
    }),
  );
};

function parseOverlay(value: unknown): SliceOverlay {
  if (value === undefined || value === '' || value === 'none') return null;
  if (value === 'mask' || value === 'constraints') return value;
  if (typeof value === 'string' && value.startsWith('run:')) return { runId: value.slice(4) };
  throw badInput(`unknown overlay ${JSON.stringify(value)}: expected mask, constraints or run:<runId>`, 'overlay');
}

function parseIndex(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw badInput(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`, name);
  return Number(value);
}

export const imageRoutes: RouteInstaller = (app, deps) => {
  const data = deps.services.seriesData;
  app.get(
    '/images/series/:id/slice/:name',
    handler(deps, async (req, res) => {
      const m = /^(.*)\.png$/.exec(String(req.params.name));
      if (!m) throw notFound('image', String(req.params.name));
      const slice = parseIndex(m[1], 'slice', NaN);
      const channel = parseIndex(req.query.channel, 'channel', 0);
      const overlay = parseOverlay(req.query.overlay);
      const series = await data.require(String(req.params.id));
      const png = await data.renderSlice(series, slice, channel, overlay);
      res.set({ 'content-type': 'image/png', 'cache-control': 'private, max-age=3600' });
      res.send(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
    }),
  );
};
