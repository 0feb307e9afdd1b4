import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lost runners in a row without progress (issue 8): a run fails after its runner died `maxAttempts` times without
 * storing an epoch in between (a run that kills its process every time), not after that many deaths in all, so a
 * long run whose server is killed or restarted now and then still finishes.
 */
export class RunnerStalls1768000000000 implements MigrationInterface {
  name = 'RunnerStalls1768000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "run" ADD "stalls" integer NOT NULL DEFAULT '0'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "run" DROP COLUMN "stalls"`);
  }
}
