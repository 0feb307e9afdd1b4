import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cohort data (issue 4): named blobs for caches whose key is known before the bytes (constraint maps, later
 * checkpoints), and the source affine of each series so NIfTI export places the volume as it was imported.
 * Generated with TypeORM's schema builder, like the initial schema.
 */
export class CohortData1765000000000 implements MigrationInterface {
  name = 'CohortData1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "blob_alias" ("name" text NOT NULL, "blobKey" text NOT NULL, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ab7aaa2bc2af6648f71a4c3408b" PRIMARY KEY ("name"))`,
    );
    await q.query(`ALTER TABLE "series" ADD "affine" jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "series" DROP COLUMN "affine"`);
    await q.query(`DROP TABLE "blob_alias"`);
  }
}
