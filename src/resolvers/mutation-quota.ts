/**
 * Charges every mutation operation against the caller's rate limit (src/server/rate-limit.ts) before its first
 * mutation runs. It wraps the resolvers of the Mutation type once, so HTTP and WebSocket mutations, and any mutation
 * added later, go through the same check; queries and subscriptions are untouched.
 *
 * The charge is per operation (one unit per root mutation field, decided once at the first field): an operation
 * that is refused runs none of its mutations instead of some of them. Only operations that passed validation and
 * authentication get here, so malformed documents cost nothing.
 */
import { Kind, type FieldNode, type GraphQLFieldResolver, type GraphQLResolveInfo, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import type { Context } from './context';

const GUARDED = Symbol('nephron.mutationQuota');
/** Per operation context: the decision taken at its first root mutation field (null: allowed). */
const decisions = new WeakMap<object, Error | null>();

export function guardMutations(schema: GraphQLSchema): GraphQLSchema {
  const mutation = schema.getMutationType() as (ReturnType<GraphQLSchema['getMutationType']> & { [GUARDED]?: true }) | null;
  if (!mutation || mutation[GUARDED]) return schema;
  mutation[GUARDED] = true;
  for (const field of Object.values(mutation.getFields())) {
    const resolve = field.resolve as GraphQLFieldResolver<unknown, Context> | undefined;
    if (!resolve) continue;
    field.resolve = (source, args, context, info) => {
      charge(context, info);
      return resolve(source, args, context, info);
    };
  }
  return schema;
}

function charge(context: Context, info: GraphQLResolveInfo): void {
  if (!context?.mutationQuota) return;
  let decision = decisions.get(context);
  if (decision === undefined) {
    try {
      context.mutationQuota.take(rootFieldCount(info.operation.selectionSet, info));
      decision = null;
    } catch (e) {
      decision = e as Error;
    }
    decisions.set(context, decision);
  }
  if (decision) throw decision;
}

/** Root fields of the operation, through fragments (an upper bound: @skip/@include are not evaluated). */
function rootFieldCount(set: SelectionSetNode, info: GraphQLResolveInfo): number {
  let n = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) n += (s as FieldNode).name.value === '__typename' ? 0 : 1;
    else if (s.kind === Kind.INLINE_FRAGMENT) n += rootFieldCount(s.selectionSet, info);
    else {
      const fragment = info.fragments[s.name.value];
      if (fragment) n += rootFieldCount(fragment.selectionSet, info);
    }
  }
  return Math.max(1, n);
}
