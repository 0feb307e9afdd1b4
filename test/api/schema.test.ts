import fs from 'node:fs';
import path from 'node:path';
import { buildSchema as parseSdl } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schemaSdl } from '../../src/resolvers';

const root = path.resolve(__dirname, '../..');

describe('schema.graphql', () => {
  it('matches the schema the code generates (run `npm run schema` after changing the API)', async () => {
    const committed = fs.readFileSync(path.join(root, 'schema.graphql'), 'utf8');
    expect(await schemaSdl()).toBe(committed);
  });

  it("has every query, mutation and subscription of api.md, with api.md's arguments", () => {
    const schema = parseSdl(fs.readFileSync(path.join(root, 'schema.graphql'), 'utf8'));
    const contract: Record<'Query' | 'Mutation' | 'Subscription', Record<string, string[]>> = {
      Query: {
        cohorts: [],
        cohort: ['id'],
        runs: ['filter', 'first', 'after'],
        run: ['id'],
        sweeps: [],
        sweep: ['id'],
        labelEfficiency: ['sweepId', 'referenceN'],
        blandAltman: ['runId', 'kidney'],
      },
      Mutation: {
        createSyntheticCohort: ['input'],
        importCohort: ['input'],
        startPretraining: ['input'],
        startFineTuning: ['input'],
        startSweep: ['input'],
        cancelRun: ['id'],
      },
      Subscription: { runProgress: ['runId'], runEvents: ['sweepId', 'cohortId'] },
    };
    for (const [typeName, fields] of Object.entries(contract)) {
      const type = schema.getType(typeName) as import('graphql').GraphQLObjectType;
      for (const [name, args] of Object.entries(fields)) {
        const field = type.getFields()[name];
        expect(field, `${typeName}.${name}`).toBeDefined();
        expect(field.args.map((a) => a.name).sort(), `${typeName}.${name} arguments`).toEqual([...args].sort());
      }
    }
    const run = schema.getType('Run') as import('graphql').GraphQLObjectType;
    for (const f of [
      'id',
      'kind',
      'status',
      'cohort',
      'contrast',
      'initialization',
      'pretrainRun',
      'nLabeled',
      'seed',
      'preset',
      'config',
      'sweep',
      'epoch',
      'epochs',
      'device',
      'error',
      'queuedAt',
      'startedAt',
      'finishedAt',
      'metrics',
      'evaluation',
    ]) {
      expect(run.getFields()[f], `Run.${f}`).toBeDefined();
    }
  });
});
