/**
 * Reading one series of an nnU-Net dataset (../nnunet-layout.ts) in a data worker: one 3D image per channel, stacked
 * into the 4D series nephron stores (channels as the 4th dimension), with the case's labels as mask. The channels
 * must share the grid and the affine; every problem is a NiftiError naming the file.
 */
import { readFileSync } from 'node:fs';
import { NiftiError, readNiftiImage, readNiftiMask, type NiftiImage } from '../../data/nifti';
import type { SeriesVolume } from '../../data/volume';
import type { NnunetSeriesFiles } from '../nnunet-layout';
import { encodeSeries, type EncodedSeries } from './encode-series';

/** The files of one series as ../nnunet-layout.ts found them (real paths checked under the import root). */
export type ReadNnunetSeriesInput = NnunetSeriesFiles;

const sameAffine = (a: number[][], b: number[][]) => a.every((row, r) => row.every((v, c) => Math.abs(v - b[r][c]) <= 1e-3 * Math.max(1, Math.abs(v))));

function read(p: string, name: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(p));
  } catch (e) {
    throw new NiftiError(name, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export async function readNnunetSeries(input: ReadNnunetSeriesInput): Promise<EncodedSeries> {
  const images: NiftiImage[] = [];
  for (let c = 0; c < input.channelPaths.length; c++) {
    const file = input.channelFiles[c];
    const img = await readNiftiImage(read(input.channelPaths[c], file), file);
    if (img.channels !== 1) throw new NiftiError(file, `${img.channels} channels in one file: nnU-Net keeps one channel per file (<case>_<XXXX>)`);
    const first = images[0];
    if (first && (img.width !== first.width || img.height !== first.height || img.slices !== first.slices)) {
      throw new NiftiError(
        file,
        `shape ${img.width}×${img.height}×${img.slices} differs from ${input.channelFiles[0]} (${first.width}×${first.height}×${first.slices})`,
      );
    }
    if (first && !sameAffine(img.affine, first.affine))
      throw new NiftiError(file, `affine differs from ${input.channelFiles[0]}: the channels must be co-registered`);
    images.push(img);
  }
  const [first] = images;
  const plane = first.width * first.height * first.slices;
  const data = new Float32Array(plane * images.length);
  images.forEach((img, c) => data.set(img.data, c * plane));
  let mask: Uint8Array | null = null;
  if (input.maskPath && input.maskFile) {
    const m = await readNiftiMask(read(input.maskPath, input.maskFile), input.maskFile);
    if (m.width !== first.width || m.height !== first.height || m.slices !== first.slices) {
      throw new NiftiError(
        input.maskFile,
        `labels shape ${m.width}×${m.height}×${m.slices} differs from the image's ${first.width}×${first.height}×${first.slices} (${input.channelFiles[0]})`,
      );
    }
    mask = m.mask;
  }
  const protocol = {
    ...(input.protocol ?? {}),
    matrix: [first.width, first.height],
    slices: first.slices,
    spacingMm: first.spacingMm,
    orientation: first.orientation,
  };
  const v: SeriesVolume = {
    contrast: input.contrast,
    width: first.width,
    height: first.height,
    slices: first.slices,
    channels: images.length,
    data,
    channelNames: input.channelNames,
    spacingMm: first.spacingMm,
    protocol,
    mask,
  };
  // range16, as the directory import: lossless for integer scanner data and for nephron's own exports
  return encodeSeries(v, first.affine, 'range16');
}
