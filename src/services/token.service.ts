import { createHash, randomBytes } from 'node:crypto';
import { In, IsNull, type DataSource } from 'typeorm';
import { isUuid, notFound } from '../errors';
import { ApiToken } from '../schema/api-token.entity';
import { Role } from '../schema/enums';
import { topics, type PubSub, type TokenEvent } from '../runs';

/** Tokens look like "nph_<43 base64url chars>" (256 random bits); the database keeps only their sha256. */
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export class TokenService {
  /** `pubsub`: where token changes are announced, so every process closes a revoked token's WebSockets at once. */
  constructor(
    private readonly ds: DataSource,
    private readonly pubsub?: PubSub,
  ) {}

  async create(role: Role, name?: string | null): Promise<{ token: string; apiToken: ApiToken }> {
    const token = `nph_${randomBytes(32).toString('base64url')}`;
    const repo = this.ds.getRepository(ApiToken);
    const apiToken = repo.create({ hash: hashToken(token), role, name: name ?? null });
    await repo.insert(apiToken);
    await this.announce({ id: apiToken.id, revoked: false });
    return { token, apiToken: await repo.findOneByOrFail({ id: apiToken.id }) };
  }

  /**
   * The live token with this secret, or null (unknown or revoked). Asked of the database on every request, on
   * purpose: a cache would let a revoked token through until an event reached this process (NOTIFY arrives after
   * the revoking commit, and is lost while the event connection is down), or for as long as an entry lives when the
   * revocation came with no event at all (another tool writing the table). One index lookup per request.
   */
  verify(token: string): Promise<ApiToken | null> {
    return this.ds.getRepository(ApiToken).findOneBy({ hash: hashToken(token), revokedAt: IsNull() });
  }

  /** Whether any live token exists: without one the server is in local zero-setup mode. */
  async anyActive(): Promise<boolean> {
    return (await this.ds.getRepository(ApiToken).countBy({ revokedAt: IsNull() })) > 0;
  }

  /** Of these token ids, the ones still live (not revoked, not deleted). */
  async liveIds(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows = await this.ds.getRepository(ApiToken).find({ select: { id: true }, where: { id: In(ids), revokedAt: IsNull() } });
    return new Set(rows.map((r) => r.id));
  }

  list(): Promise<ApiToken[]> {
    return this.ds.getRepository(ApiToken).find({ order: { createdAt: 'ASC' } });
  }

  async revoke(id: string): Promise<ApiToken> {
    const repo = this.ds.getRepository(ApiToken);
    const token = isUuid(id) ? await repo.findOneBy({ id }) : null;
    if (!token) throw notFound('token', id);
    if (!token.revokedAt) {
      await repo.update({ id }, { revokedAt: new Date() });
      await this.announce({ id, revoked: true });
    }
    return repo.findOneByOrFail({ id });
  }

  private async announce(event: TokenEvent): Promise<void> {
    await this.pubsub?.publish(topics.tokens, event);
  }
}
