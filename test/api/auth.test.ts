import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { Role } from '../../src/schema/enums';
import { Run } from '../../src/schema/run.entity';
import { createLogger } from '../../src/logger';
import { openNephron } from '../../src/app';
import { createNephronServer } from '../../src/server/server';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { seedCohort } from '../helpers/fixtures';
import { startTestServer, type TestServer } from '../helpers/server';

describe.each(DB_KINDS)('auth on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let t: TestServer;
    let cohortId: string;
    let admin: string;
    let operator: string;
    let viewer: string;
    beforeAll(async () => {
      t = await startTestServer(kind);
      cohortId = (await seedCohort(t.server.services)).id;
    });
    afterAll(() => t?.stop());

    const start = `mutation($i: PretrainingInput!) { startPretraining(input: $i) { id } }`;
    const input = () => ({ i: { cohortId, contrast: 'DIXON', preset: 'SMOKE' } });
    const countRuns = () => t.server.dataSource.getRepository(Run).count();

    it('treats a local caller as ADMIN while no token exists', async () => {
      const created = await t.ok(`mutation { createApiToken(role: ADMIN, name: "first") { token apiToken { id role name } } }`);
      admin = created.createApiToken.token;
      expect(admin).toMatch(/^nph_/);
      expect(created.createApiToken.apiToken).toMatchObject({ role: 'ADMIN', name: 'first' });
    });

    it('stores only the hash of a token', async () => {
      const rows = await t.server.dataSource.query('SELECT hash FROM api_token');
      expect(JSON.stringify(rows)).not.toContain(admin);
      expect(rows[0].hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('requires a token once one exists', async () => {
      const before = await countRuns();
      const missing = await t.gql(start, input());
      expect(missing.status).toBe(401);
      expect(missing.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
      const wrong = await t.gql(`{ cohorts { id } }`, {}, 'nph_not-a-real-token');
      expect(wrong.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
      const malformed = await t.http().post('/graphql').set('authorization', 'Token abc').send({ query: '{ cohorts { id } }' });
      expect(malformed.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(await countRuns()).toBe(before);
    });

    it('lets each role do what it may and no more', async () => {
      operator = (await t.ok(`mutation { createApiToken(role: OPERATOR) { token } }`, {}, admin)).createApiToken.token;
      viewer = (await t.ok(`mutation { createApiToken(role: VIEWER) { token } }`, {}, admin)).createApiToken.token;
      const before = await countRuns();

      expect((await t.ok(`{ cohorts { id } runs { totalCount } }`, {}, viewer)).cohorts).toHaveLength(1);
      const denied = await t.gql(start, input(), viewer);
      expect(denied.errors?.[0].extensions.code).toBe('FORBIDDEN');
      expect(denied.errors?.[0].message).toMatch(/OPERATOR/);
      expect(await countRuns()).toBe(before);

      expect((await t.gql(start, input(), operator)).errors).toBeUndefined();
      expect(await countRuns()).toBe(before + 1);
      expect((await t.gql(`mutation { createApiToken(role: ADMIN) { token } }`, {}, operator)).errors?.[0].extensions.code).toBe('FORBIDDEN');
      expect((await t.gql(`{ apiTokens { id } }`, {}, viewer)).errors?.[0].extensions.code).toBe('FORBIDDEN');
      expect((await t.ok(`{ apiTokens { role } }`, {}, admin)).apiTokens.map((x: any) => x.role).sort()).toEqual(['ADMIN', 'OPERATOR', 'VIEWER']);
      expect((await t.ok(`{ viewer { role } }`, {}, viewer)).viewer.role).toBe('VIEWER');
      expect((await t.ok(`{ viewer { role } }`, {}, operator)).viewer.role).toBe('OPERATOR');
      expect((await t.gql(`{ viewer { role } }`)).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    });

    it('refuses a revoked token', async () => {
      const { token, apiToken } = await t.server.services.tokens.create(Role.VIEWER, 'short-lived');
      expect((await t.gql(`{ cohorts { id } }`, {}, token)).errors).toBeUndefined();
      await t.ok(`mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`, { id: apiToken.id }, admin);
      expect((await t.gql(`{ cohorts { id } }`, {}, token)).errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    });

    it('authenticates WebSocket connections from connectionParams', async () => {
      await expect(t.ws()).rejects.toThrow(/4403/);
      await expect(t.ws('nph_wrong')).rejects.toThrow(/4403/);
      const client = await t.ws(viewer);
      expect(client).toBeTruthy();
    });

    it('keeps /healthz public', async () => {
      expect((await t.http().get('/healthz')).status).toBe(200);
    });
  });
});

describe('binding', () => {
  it('refuses a non-loopback HOST without tokens', async () => {
    const config = loadConfig({ HOST: '0.0.0.0', PORT: '0', DATABASE_URL: 'memory', LOG_LEVEL: 'silent' });
    const server = await createNephronServer(await openNephron(config, { log: createLogger('silent') }));
    try {
      await expect(server.listen()).rejects.toThrow(/refusing to listen on HOST=0\.0\.0\.0 without API tokens/);
      // with a token it may
      await server.services.tokens.create(Role.ADMIN);
      const url = await server.listen();
      expect(url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/graphql$/);
    } finally {
      await server.stop();
    }
  });
});
