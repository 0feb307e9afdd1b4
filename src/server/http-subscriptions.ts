/**
 * Subscriptions are served over graphql-ws only. Over HTTP, graphql-js would run a subscription field's resolver
 * once without an event and answer INTERNAL_SERVER_ERROR (a null for a non-null field); refuse it up front
 * instead, after authentication (an anonymous caller is still told UNAUTHENTICATED first).
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';

export function refuseHttpSubscriptions(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          throw new GraphQLError('subscriptions are served over WebSocket (graphql-transport-ws, graphql-ws) on this path, not over HTTP', {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          });
        },
      };
    },
  };
}
