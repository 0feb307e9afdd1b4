import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, validate, type GraphQLSchema } from 'graphql';
import { loadConfig } from '../../src/config';
import { buildNephronSchema } from '../../src/resolvers';
import { checkOperationLimits, checkSourceNesting, operationComplexity, operationDepth, ROOT_FIELD_COST as ROOT } from '../../src/server/limits';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { seedCohort } from '../helpers/fixtures';
import { startTestServer, type TestServer } from '../helpers/server';
import { cliDocuments, dashboardDocuments } from './client-documents';

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildNephronSchema();
});

describe('operation limits: measuring', () => {
  it('counts depth through fragments and inline fragments', () => {
    expect(operationDepth(parse('{ runs { totalCount } }'))).toBe(2);
    const doc = parse(`query Q { run(id: "x") { ...R } }
      fragment R on Run { ... on Run { pretrainRun { ...P } } }
      fragment P on Run { cohort { name } }`);
    expect(operationDepth(doc, 'Q')).toBe(4);
  });

  it('multiplies a connection by first (50 when omitted), from literals and variables', () => {
    const page = (first: string) =>
      operationComplexity(schema, parse(`query($n: Int) { runs(first: ${first}) { edges { node { id status } } } }`), undefined, { n: 7 });
    // runs: ROOT + 1 + first × (edges 1 + node 1 + id 1 + status 1)
    expect(page('10')).toBe(ROOT + 1 + 10 * 4);
    expect(page('$n')).toBe(ROOT + 1 + 7 * 4);
    expect(operationComplexity(schema, parse('{ runs { totalCount } }'), undefined, {})).toBe(ROOT + 1 + 50 * 1);
  });

  it('charges every root field, so aliases cannot repeat database queries cheaply', () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: cohorts { id }`).join(' ')} }`;
    expect(operationComplexity(schema, parse(aliases(300)), undefined, {})).toBe(300 * (ROOT + 2));
    expect(checkOperationLimits(schema, parse(aliases(300)), undefined, {}, loadConfig({}))?.extensions.reason).toBe('QUERY_TOO_COMPLEX');
    expect(operationComplexity(schema, parse('{ a: __typename b: __typename }'), undefined, {})).toBe(2);
  });

  it('refuses deeply nested brackets before parsing (outside strings and comments)', () => {
    const limits = { maxDepth: 10, maxComplexity: 1000 }; // nesting limit: 2 × 10 + 10 = 30
    expect(checkSourceNesting(`{ run(id: "${'{'.repeat(100)}") { id } } # ${'['.repeat(100)}`, limits)).toBeUndefined();
    const deep = checkSourceNesting(`${'{ a '.repeat(31)}${'}'.repeat(31)}`, limits);
    expect(deep?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_DEEP', value: 31, limit: 30 });
  });

  it("costs a sweep's unpaginated runs as 100 runs (the field's complexity extension)", () => {
    expect(operationComplexity(schema, parse('{ sweep(id: "x") { name runs { id status } } }'), undefined, {})).toBe(ROOT + 1 + 1 + (1 + 100 * 2));
  });

  it('names the measured value and the limit in the error', () => {
    const deep = checkOperationLimits(schema, parse('{ runs { edges { node { id } } } }'), undefined, {}, { maxDepth: 3, maxComplexity: 1000 });
    expect(deep?.message).toMatch(/nested 4 levels deep; the limit is 3/);
    expect(deep?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_DEEP', value: 4, limit: 3 });
    const costly = checkOperationLimits(schema, parse('{ runs(first: 500) { edges { node { id } } } }'), undefined, {}, { maxDepth: 10, maxComplexity: 1000 });
    expect(costly?.message).toMatch(/estimated cost is 1601; the limit is 1000/);
    expect(costly?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COMPLEX', value: 1601, limit: 1000 });
  });

  it('lets every document the dashboard and the CLI send through the default limits, at their largest pages', () => {
    const defaults = loadConfig({});
    const dashboard = dashboardDocuments(schema);
    const { documents: cli, dynamic } = cliDocuments(schema);
    expect(dashboard.length).toBeGreaterThanOrEqual(13);
    expect(cli.length).toBeGreaterThanOrEqual(15);
    // documents built at run time are rebuilt in client-documents.ts; a new one must be added there
    expect(dynamic).toEqual(['report-data.ts: query(${vars}) { ${body} }']);
    for (const d of [...dashboard, ...cli]) {
      const doc = parse(d.query);
      expect(
        validate(schema, doc).map((e) => e.message),
        d.source,
      ).toEqual([]);
      const complexity = operationComplexity(schema, doc, undefined, d.variables);
      expect(complexity, `${d.source}: variables do not fit`).toBeTypeOf('number');
      expect(checkOperationLimits(schema, doc, undefined, d.variables, defaults), `${d.source}\n${d.query}`).toBeUndefined();
    }
  });
});

describe.each(DB_KINDS)('operation limits on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer(kind, { NEPHRON_MAX_DEPTH: '3', NEPHRON_MAX_COMPLEXITY: '300' });
    });
    afterAll(() => t?.stop());

    it('refuses an operation over either limit on HTTP with 400 and BAD_USER_INPUT, before it runs', async () => {
      const deep = await t.gql('{ runs { edges { node { id } } } }');
      expect(deep.status).toBe(400);
      expect(deep.data).toBeUndefined();
      expect(deep.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/nested 4 levels deep; the limit is 3/),
        extensions: { code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_DEEP', value: 4, limit: 3 },
      });

      const q = 'query($first: Int) { runs(first: $first) { totalCount } }';
      // ROOT + 1 + first
      expect((await t.ok(q, { first: 199 })).runs.totalCount).toBe(0);
      const costly = await t.gql(q, { first: 200 });
      expect(costly.status).toBe(400);
      expect(costly.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/estimated cost is 301; the limit is 300/),
        extensions: { code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COMPLEX', value: 301, limit: 300 },
      });
    });

    it('refuses a mutation over a limit without running it', async () => {
      const cohort = await seedCohort(t.server.services, `limits-${kind}`, 2);
      const r = await t.gql(`mutation($input: PretrainingInput!) { startPretraining(input: $input) { id cohort { subjects { totalCount } } } }`, {
        input: { cohortId: cohort.id, contrast: 'DIXON', preset: 'SMOKE' },
      });
      expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_DEEP', value: 4 });
      expect((await t.ok('{ runs { totalCount } }')).runs.totalCount).toBe(0);
    });

    it('applies the same limits to subscriptions and queries over graphql-ws, and the socket stays usable', async () => {
      const ws = await t.ws();
      // a subscription costs ROOT + 1 + its selection: 200 aliased fields are over 300
      const aliases = Array.from({ length: 200 }, (_, i) => `a${i}: runId`).join(' ');
      const wide = ws.subscribe(`subscription { runEvents { ${aliases} } }`);
      await expect(wide.waitForError()).resolves.toEqual([
        expect.objectContaining({
          message: expect.stringMatching(/estimated cost is 301; the limit is 300/),
          extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COMPLEX' }),
        }),
      ]);
      const deep = ws.subscribe('query { runs { edges { node { id } } } }');
      await expect(deep.waitForError()).resolves.toEqual([
        expect.objectContaining({
          message: expect.stringMatching(/nested 4 levels deep; the limit is 3/),
          extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_DEEP' }),
        }),
      ]);
      const costly = ws.subscribe('query { runs(first: 200) { totalCount } }');
      const [error] = (await costly.waitForError()) as { extensions: Record<string, unknown> }[];
      expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COMPLEX', value: 301, limit: 300 });
      const fine = ws.subscribe('query { runs(first: 10) { totalCount } }');
      expect(await fine.waitForNext()).toEqual({ runs: { totalCount: expect.any(Number) } });
    });
  });
});
