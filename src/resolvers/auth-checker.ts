import type { AuthChecker } from 'type-graphql';
import { forbidden, unauthenticated } from '../errors';
import { Role } from '../schema/enums';
import type { Context } from './context';

const RANK: Record<Role, number> = { [Role.VIEWER]: 1, [Role.OPERATOR]: 2, [Role.ADMIN]: 3 };

/** `@Authorized()` needs any role; `@Authorized(Role.X)` needs X or a higher role (VIEWER < OPERATOR < ADMIN). */
export const authChecker: AuthChecker<Context, Role> = ({ context }, roles) => {
  if (!context.role) throw unauthenticated();
  if (!roles.length) return true;
  const need = Math.min(...roles.map((r) => RANK[r]));
  if (RANK[context.role] >= need) return true;
  throw forbidden(`this needs the ${roles.join(' or ')} role; your token has ${context.role}`);
};
