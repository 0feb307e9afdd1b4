import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { ApiToken } from '../schema/api-token.entity';
import { Role } from '../schema/enums';
import { CreatedToken, Viewer } from '../schema/types';
import type { Context } from './context';

/** Token management (ADMIN). Not in api.md's core list; added around it. */
@Resolver(() => ApiToken)
export class TokenResolver {
  @Authorized()
  @Query(() => Viewer, { description: 'the caller: its role and token' })
  viewer(@Ctx() ctx: Context): Viewer {
    return { role: ctx.role!, tokenId: ctx.tokenId };
  }

  @Authorized(Role.ADMIN)
  @Query(() => [ApiToken])
  apiTokens(@Ctx() ctx: Context): Promise<ApiToken[]> {
    return ctx.services.tokens.list();
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => CreatedToken, { description: 'the secret is in the answer once; only its hash is stored' })
  createApiToken(
    @Arg('role', () => Role) role: Role,
    @Ctx() ctx: Context,
    @Arg('name', () => String, { nullable: true }) name?: string,
  ): Promise<CreatedToken> {
    return ctx.services.tokens.create(role, name);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => ApiToken)
  revokeApiToken(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ApiToken> {
    return ctx.services.tokens.revoke(id);
  }
}
