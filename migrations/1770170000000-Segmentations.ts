import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Segmentations made with a fine-tuning run after training (issue 17): of stored series and of uploaded scans. */
export class Segmentations1770170000000 implements MigrationInterface {
  name = 'Segmentations1770170000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "segmentation" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "runId" uuid NOT NULL, "seriesId" uuid, "width" integer NOT NULL, "height" integer NOT NULL, "slices" integer NOT NULL, "spacingMm" double precision array NOT NULL, "affine" jsonb NOT NULL, "maskBlobKey" text NOT NULL, "volumeRightMl" double precision NOT NULL, "volumeLeftMl" double precision NOT NULL, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e92a3456fa4dda0d828bbc76a82" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_segmentation_run" ON "segmentation" ("runId")`);
    await q.query(`CREATE INDEX "IDX_segmentation_series" ON "segmentation" ("seriesId")`);
    await q.query(
      `ALTER TABLE "segmentation" ADD CONSTRAINT "FK_cb6219c4a0e07b5828525c77b65" FOREIGN KEY ("runId") REFERENCES "run"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "segmentation" ADD CONSTRAINT "FK_8b9d01d38d3fbae7ae1c0d72330" FOREIGN KEY ("seriesId") REFERENCES "series"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "segmentation"`);
  }
}
