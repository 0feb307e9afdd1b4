import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Runner state (issue 5): how many times a run was claimed (a run whose process keeps dying fails instead of
 * looping), the weights a finished run delivers (fine-tuning from CLC starts from its pretraining run's), and the
 * blob key of each test subject's predicted label map (NIfTI export and overlays).
 */
export class RunnerState1766000000000 implements MigrationInterface {
  name = 'RunnerState1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "run" ADD "attempts" integer NOT NULL DEFAULT '0'`);
    await q.query(`ALTER TABLE "run" ADD "weightsBlobKey" text`);
    await q.query(`ALTER TABLE "subject_score" ADD "predictionBlobKey" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "subject_score" DROP COLUMN "predictionBlobKey"`);
    await q.query(`ALTER TABLE "run" DROP COLUMN "weightsBlobKey"`);
    await q.query(`ALTER TABLE "run" DROP COLUMN "attempts"`);
  }
}
