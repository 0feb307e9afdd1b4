import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The checkpoint before the last one (issue 8): a resume that finds its last checkpoint corrupt (its bytes no longer
 * hash to its key) or gone restarts from the one before instead of failing. Its epoch is stored beside it, so the
 * runner knows which metric points to drop without decoding the checkpoint.
 */
export class CheckpointHistory1767000000000 implements MigrationInterface {
  name = 'CheckpointHistory1767000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "run" ADD "previousCheckpointBlobKey" text`);
    await q.query(`ALTER TABLE "run" ADD "previousCheckpointEpoch" integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "run" DROP COLUMN "previousCheckpointEpoch"`);
    await q.query(`ALTER TABLE "run" DROP COLUMN "previousCheckpointBlobKey"`);
  }
}
