import { In, type DataSource, type EntityManager } from 'typeorm';
import { isUuid, notFound } from '../errors';
import { Cohort } from '../schema/cohort.entity';
import type { Split } from '../schema/enums';
import { Series } from '../schema/series.entity';
import { Subject } from '../schema/subject.entity';
import type { SubjectConnection } from '../schema/types';
import { BlobBatch, type CohortDataDeps } from './cohort-data';
import type { NewCohort } from './new-cohort';
import { buildImportedCohort, type ImportRequest } from './cohort-import';
import { decodeCursor, encodeCursor, pageInfo, pageSize } from './pagination';
import { buildSyntheticCohort, type Progress, type SyntheticCohortRequest } from './synthetic-cohort';

export class CohortService {
  constructor(
    private readonly ds: DataSource,
    /** Blob store, worker pool and import root for building cohorts (absent: only stored cohorts are served). */
    private readonly data?: CohortDataDeps,
  ) {}

  private dataDeps(): CohortDataDeps {
    if (!this.data) throw new Error('CohortService was built without blob store and worker pool');
    return this.data;
  }

  list(): Promise<Cohort[]> {
    return this.ds.getRepository(Cohort).find({ order: { createdAt: 'ASC', name: 'ASC' } });
  }

  async get(id: string, manager: EntityManager = this.ds.manager): Promise<Cohort | null> {
    if (!isUuid(id)) return null;
    return manager.getRepository(Cohort).findOneBy({ id });
  }

  async require(id: string, manager?: EntityManager): Promise<Cohort> {
    const cohort = await this.get(id, manager);
    if (!cohort) throw notFound('cohort', id);
    return cohort;
  }

  byIds(ids: readonly string[]): Promise<Cohort[]> {
    return this.ds.getRepository(Cohort).findBy({ id: In(ids.filter(isUuid)) });
  }

  /** Stores a cohort with its subjects and series in one transaction. */
  async insert(input: NewCohort): Promise<Cohort> {
    return this.ds.transaction(async (m) => {
      const cohort = await m.getRepository(Cohort).save(
        m.getRepository(Cohort).create({
          name: input.name,
          source: input.source,
          fingerprint: input.fingerprint,
          contrasts: input.contrasts,
        }),
      );
      for (const s of input.subjects) {
        const subject = await m
          .getRepository(Subject)
          .save(m.getRepository(Subject).create({ cohortId: cohort.id, code: s.code, group: s.group, split: s.split }));
        if (s.series.length) {
          await m.getRepository(Series).insert(s.series.map((x) => ({ ...x, subjectId: subject.id, cohortId: cohort.id })));
        }
      }
      return cohort;
    });
  }

  /** Generates a phantom cohort in the worker pool and stores it in one transaction (./synthetic-cohort.ts). */
  createSynthetic(req: SyntheticCohortRequest, onProgress?: (p: Progress) => void): Promise<Cohort> {
    return this.build((deps, batch) => buildSyntheticCohort(deps, batch, req, onProgress));
  }

  /** Imports a NIfTI directory under NEPHRON_IMPORT_ROOT, all or nothing (./cohort-import.ts). */
  importCohort(req: ImportRequest): Promise<Cohort> {
    return this.build((deps, batch) => buildImportedCohort(deps, batch, req));
  }

  /**
   * Runs a builder (its blobs go to the store through `batch` as it reads; the NewCohort it returns holds only rows
   * and blob keys, kilobytes even for the default cohort) and stores what it returns. All or nothing: after any
   * failure, building or storing, the blobs this attempt wrote and no stored series uses are removed again.
   */
  private async build(builder: (deps: CohortDataDeps, batch: BlobBatch) => Promise<NewCohort>): Promise<Cohort> {
    const deps = this.dataDeps();
    const batch = new BlobBatch(deps);
    try {
      return await this.insert(await builder(deps, batch));
    } catch (e) {
      await batch.discard();
      throw e;
    }
  }

  /** True while the database holds no cohort (the default cohort is created only then). */
  async isEmpty(): Promise<boolean> {
    return (await this.ds.getRepository(Cohort).count()) === 0;
  }

  /** Subjects per cohort (one statement for many cohorts). */
  async subjectCounts(cohortIds: readonly string[]): Promise<Map<string, number>> {
    const rows: { cohortId: string; n: string }[] = await this.ds
      .getRepository(Subject)
      .createQueryBuilder('s')
      .select('s.cohortId', 'cohortId')
      .addSelect('count(*)', 'n')
      .where('s.cohortId IN (:...ids)', { ids: cohortIds.filter(isUuid).concat('00000000-0000-0000-0000-000000000000') })
      .groupBy('s.cohortId')
      .getRawMany();
    return new Map(rows.map((r) => [r.cohortId, Number(r.n)]));
  }

  /** Series per (cohort, contrast). */
  async seriesCounts(cohortIds: readonly string[]): Promise<Map<string, Map<string, number>>> {
    const rows: { cohortId: string; contrast: string; n: string }[] = await this.ds
      .getRepository(Series)
      .createQueryBuilder('x')
      .select('x.cohortId', 'cohortId')
      .addSelect('x.contrast', 'contrast')
      .addSelect('count(*)', 'n')
      .where('x.cohortId IN (:...ids)', { ids: cohortIds.filter(isUuid).concat('00000000-0000-0000-0000-000000000000') })
      .groupBy('x.cohortId')
      .addGroupBy('x.contrast')
      .getRawMany();
    const out = new Map<string, Map<string, number>>();
    for (const r of rows) {
      if (!out.has(r.cohortId)) out.set(r.cohortId, new Map());
      out.get(r.cohortId)!.set(r.contrast, Number(r.n));
    }
    return out;
  }

  /** Number of subjects in a split (e.g. TRAIN, the pool fine-tuning draws nLabeled subjects from). */
  countSubjects(cohortId: string, split: Split, manager: EntityManager = this.ds.manager): Promise<number> {
    return manager.getRepository(Subject).countBy({ cohortId, split });
  }

  async subjectsPage(cohortId: string, split: Split | null | undefined, first?: number | null, after?: string | null): Promise<SubjectConnection> {
    const limit = pageSize(first);
    const afterCode = decodeCursor('subject', after);
    const base = () => {
      const qb = this.ds.getRepository(Subject).createQueryBuilder('s').where('s.cohortId = :cohortId', { cohortId });
      if (split) qb.andWhere('s.split = :split', { split });
      return qb;
    };
    const qb = base();
    if (afterCode !== undefined) qb.andWhere('s.code > :afterCode', { afterCode });
    const rows = await qb
      .orderBy('s.code', 'ASC')
      .take(limit + 1)
      .getMany();
    const nodes = rows.slice(0, limit);
    const cursor = (s: Subject) => encodeCursor('subject', s.code);
    return {
      edges: nodes.map((node) => ({ node, cursor: cursor(node) })),
      pageInfo: pageInfo(nodes, rows.length > limit, afterCode !== undefined, cursor),
      countTotal: () => base().getCount(),
    };
  }

  subjectsByIds(ids: readonly string[]): Promise<Subject[]> {
    return this.ds.getRepository(Subject).findBy({ id: In(ids.filter(isUuid)) });
  }

  seriesBySubjects(subjectIds: readonly string[]): Promise<Series[]> {
    return this.ds.getRepository(Series).find({ where: { subjectId: In(subjectIds.filter(isUuid)) }, order: { contrast: 'ASC' } });
  }
}
