import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The initial schema (PostgreSQL 15 features only: it runs on PostgreSQL 15+ and on PGlite).
 * Generated from the entities with TypeORM's schema builder, so a test can check that entities and migrations agree.
 * Enum-like columns are text holding the GraphQL enum names. Column names are the entity property names.
 */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "api_token" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "hash" text NOT NULL, "role" text NOT NULL, "name" text, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revokedAt" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_60221392192b32c7560c128a6fa" UNIQUE ("hash"), CONSTRAINT "PK_d862311c568d175c26f41bc6f98" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "blob" ("key" text NOT NULL, "data" bytea NOT NULL, "size" integer NOT NULL, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_be0b2596cada2daf517719d698f" PRIMARY KEY ("key"))`,
    );
    await q.query(
      `CREATE TABLE "cohort" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "source" text NOT NULL, "fingerprint" text NOT NULL, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "contrasts" jsonb NOT NULL DEFAULT '[]', CONSTRAINT "UQ_4ad087e5df9672583fbf2b9956d" UNIQUE ("name"), CONSTRAINT "PK_4fb3cca38dc4b461110344e5f9b" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "sweep" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "cohortId" uuid NOT NULL, "spec" jsonb NOT NULL, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_1e2e82827097e3525af9f7ac1e3" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "run" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "seq" SERIAL NOT NULL, "kind" text NOT NULL, "status" text NOT NULL, "cohortId" uuid NOT NULL, "cohortFingerprint" text NOT NULL, "contrast" text NOT NULL, "initialization" text, "pretrainRunId" uuid, "nLabeled" integer, "seed" integer NOT NULL, "preset" text NOT NULL, "config" jsonb NOT NULL, "overrides" jsonb NOT NULL DEFAULT '{}', "sweepId" uuid, "phase" text, "epoch" integer NOT NULL DEFAULT '0', "epochs" integer NOT NULL, "device" text, "error" text, "codeVersion" text, "queuedAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "startedAt" TIMESTAMP WITH TIME ZONE, "finishedAt" TIMESTAMP WITH TIME ZONE, "leaseOwner" text, "leaseExpiresAt" TIMESTAMP WITH TIME ZONE, "checkpointBlobKey" text, "bestCheckpointBlobKey" text, CONSTRAINT "UQ_f9defd56865b6f784f0404751a7" UNIQUE ("seq"), CONSTRAINT "PK_804c38ffba92002c6d2c646dd46" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_run_status_seq" ON "run" ("status", "seq")`);
    await q.query(`CREATE INDEX "IDX_run_cohort" ON "run" ("cohortId")`);
    await q.query(`CREATE INDEX "IDX_run_sweep" ON "run" ("sweepId")`);
    await q.query(
      `CREATE TABLE "subject" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "cohortId" uuid NOT NULL, "code" text NOT NULL, "group" text NOT NULL, "split" text NOT NULL, CONSTRAINT "PK_12eee115462e38d62e5455fc054" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "UQ_subject_cohort_code" ON "subject" ("cohortId", "code")`);
    await q.query(
      `CREATE TABLE "evaluation" ("runId" uuid NOT NULL, "meanDiceRight" double precision NOT NULL, "meanDiceLeft" double precision NOT NULL, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6d3c56c7d87a5c4a1d5c1bd5eb8" PRIMARY KEY ("runId"))`,
    );
    await q.query(
      `CREATE TABLE "subject_score" ("runId" uuid NOT NULL, "subjectId" uuid NOT NULL, "diceRight" double precision NOT NULL, "diceLeft" double precision NOT NULL, "volumeRightMl" double precision NOT NULL, "volumeLeftMl" double precision NOT NULL, "trueVolumeRightMl" double precision NOT NULL, "trueVolumeLeftMl" double precision NOT NULL, CONSTRAINT "PK_fdec4fab83415a99fecd58588dc" PRIMARY KEY ("runId", "subjectId"))`,
    );
    await q.query(
      `CREATE TABLE "metric_point" ("runId" uuid NOT NULL, "name" text NOT NULL, "epoch" integer NOT NULL, "value" double precision NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b74eb68340cf457e2401792268d" PRIMARY KEY ("runId", "name", "epoch"))`,
    );
    await q.query(
      `CREATE TABLE "metric_summary" ("runId" uuid NOT NULL, "name" text NOT NULL, "lastEpoch" integer NOT NULL, "last" double precision NOT NULL, "min" double precision NOT NULL, "max" double precision NOT NULL, "count" integer NOT NULL, CONSTRAINT "PK_43ae4c50cea5ba287c975a25fae" PRIMARY KEY ("runId", "name"))`,
    );
    await q.query(
      `CREATE TABLE "series" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "subjectId" uuid NOT NULL, "cohortId" uuid NOT NULL, "contrast" text NOT NULL, "channels" text array NOT NULL, "width" integer NOT NULL, "height" integer NOT NULL, "slices" integer NOT NULL, "spacingMm" double precision array NOT NULL, "orientation" text NOT NULL DEFAULT 'RAS', "dtype" text NOT NULL DEFAULT 'float32', "dataBlobKey" text NOT NULL, "maskBlobKey" text, "kidneyVolumesMl" jsonb, CONSTRAINT "PK_e725676647382eb54540d7128ba" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_series_cohort_contrast" ON "series" ("cohortId", "contrast")`);
    await q.query(`CREATE UNIQUE INDEX "UQ_series_subject_contrast" ON "series" ("subjectId", "contrast")`);
    await q.query(
      `ALTER TABLE "sweep" ADD CONSTRAINT "FK_ed2868100249b98c7eb4845f7ba" FOREIGN KEY ("cohortId") REFERENCES "cohort"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "run" ADD CONSTRAINT "FK_5f1f8f30525481b28eaeb3ef5e1" FOREIGN KEY ("cohortId") REFERENCES "cohort"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "run" ADD CONSTRAINT "FK_d9ae14e4c8046da9f532e4c1cb2" FOREIGN KEY ("pretrainRunId") REFERENCES "run"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "run" ADD CONSTRAINT "FK_fa6ef0a78e298ec523a33099c8f" FOREIGN KEY ("sweepId") REFERENCES "sweep"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "subject" ADD CONSTRAINT "FK_f38e2045072bba0722eabb88da6" FOREIGN KEY ("cohortId") REFERENCES "cohort"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "evaluation" ADD CONSTRAINT "FK_6d3c56c7d87a5c4a1d5c1bd5eb8" FOREIGN KEY ("runId") REFERENCES "run"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "subject_score" ADD CONSTRAINT "FK_374f4a0bb54ad0615c35883e551" FOREIGN KEY ("runId") REFERENCES "evaluation"("runId") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "subject_score" ADD CONSTRAINT "FK_d7dec608bf8704fb0c433642e19" FOREIGN KEY ("subjectId") REFERENCES "subject"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "metric_point" ADD CONSTRAINT "FK_59080c2d2ae31aae7284dc99577" FOREIGN KEY ("runId") REFERENCES "run"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "metric_summary" ADD CONSTRAINT "FK_8aed85d0000288a446bfffddbeb" FOREIGN KEY ("runId") REFERENCES "run"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "series" ADD CONSTRAINT "FK_f145d2104b16f85dfe9c7b8ce63" FOREIGN KEY ("subjectId") REFERENCES "subject"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "series" ADD CONSTRAINT "FK_2d9f2f2371f8b9ac107f0bf5f1c" FOREIGN KEY ("cohortId") REFERENCES "cohort"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "series" DROP CONSTRAINT "FK_2d9f2f2371f8b9ac107f0bf5f1c"`);
    await q.query(`ALTER TABLE "series" DROP CONSTRAINT "FK_f145d2104b16f85dfe9c7b8ce63"`);
    await q.query(`ALTER TABLE "metric_summary" DROP CONSTRAINT "FK_8aed85d0000288a446bfffddbeb"`);
    await q.query(`ALTER TABLE "metric_point" DROP CONSTRAINT "FK_59080c2d2ae31aae7284dc99577"`);
    await q.query(`ALTER TABLE "subject_score" DROP CONSTRAINT "FK_d7dec608bf8704fb0c433642e19"`);
    await q.query(`ALTER TABLE "subject_score" DROP CONSTRAINT "FK_374f4a0bb54ad0615c35883e551"`);
    await q.query(`ALTER TABLE "evaluation" DROP CONSTRAINT "FK_6d3c56c7d87a5c4a1d5c1bd5eb8"`);
    await q.query(`ALTER TABLE "subject" DROP CONSTRAINT "FK_f38e2045072bba0722eabb88da6"`);
    await q.query(`ALTER TABLE "run" DROP CONSTRAINT "FK_fa6ef0a78e298ec523a33099c8f"`);
    await q.query(`ALTER TABLE "run" DROP CONSTRAINT "FK_d9ae14e4c8046da9f532e4c1cb2"`);
    await q.query(`ALTER TABLE "run" DROP CONSTRAINT "FK_5f1f8f30525481b28eaeb3ef5e1"`);
    await q.query(`ALTER TABLE "sweep" DROP CONSTRAINT "FK_ed2868100249b98c7eb4845f7ba"`);
    await q.query(`DROP INDEX "public"."UQ_series_subject_contrast"`);
    await q.query(`DROP INDEX "public"."IDX_series_cohort_contrast"`);
    await q.query(`DROP TABLE "series"`);
    await q.query(`DROP TABLE "metric_summary"`);
    await q.query(`DROP TABLE "metric_point"`);
    await q.query(`DROP TABLE "subject_score"`);
    await q.query(`DROP TABLE "evaluation"`);
    await q.query(`DROP INDEX "public"."UQ_subject_cohort_code"`);
    await q.query(`DROP TABLE "subject"`);
    await q.query(`DROP INDEX "public"."IDX_run_sweep"`);
    await q.query(`DROP INDEX "public"."IDX_run_cohort"`);
    await q.query(`DROP INDEX "public"."IDX_run_status_seq"`);
    await q.query(`DROP TABLE "run"`);
    await q.query(`DROP TABLE "sweep"`);
    await q.query(`DROP TABLE "cohort"`);
    await q.query(`DROP TABLE "blob"`);
    await q.query(`DROP TABLE "api_token"`);
  }
}
