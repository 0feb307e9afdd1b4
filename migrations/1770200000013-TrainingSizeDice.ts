import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A test subject's Dice at the training resolution beside the one at the series' own resolution (issue 13: the
 * study reports both, so resampling loss is visible apart from the model's). Nullable: evaluations stored before
 * have only the native-resolution Dice.
 */
export class TrainingSizeDice1770200000013 implements MigrationInterface {
  name = 'TrainingSizeDice1770200000013';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "subject_score" ADD "trainingSizeDiceRight" float8, ADD "trainingSizeDiceLeft" float8`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "subject_score" DROP COLUMN "trainingSizeDiceRight", DROP COLUMN "trainingSizeDiceLeft"`);
  }
}
