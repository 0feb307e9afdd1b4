/**
 * A cohort to store, as the builders return it (./synthetic-cohort.ts, ./cohort-import.ts) and CohortService.insert
 * stores it: a type of its own, so the builders need not import the service.
 */
import type { StoredContrast } from '../schema/cohort.entity';
import type { ContrastKind, Split, SubjectGroup } from '../schema/enums';

/** A cohort to store, e.g. from the synthetic generator or a NIfTI import (blobs already in the blob store). */
export interface NewCohort {
  name: string;
  source: string;
  fingerprint: string;
  contrasts: StoredContrast[];
  subjects: {
    code: string;
    group: SubjectGroup;
    split: Split;
    series: NewSeries[];
  }[];
}

export interface NewSeries {
  contrast: ContrastKind;
  channels: string[];
  width: number;
  height: number;
  slices: number;
  spacingMm: number[];
  orientation?: string;
  /** 4×4 voxel → RAS+ mm of the source (NIfTI export writes it back). */
  affine?: number[][] | null;
  dtype?: string;
  dataBlobKey: string;
  maskBlobKey: string | null;
  kidneyVolumesMl: { right: number; left: number } | null;
}
