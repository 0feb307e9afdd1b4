import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';

/** ISO-8601 date-time (graphql-scalars). */
export const DateTimeScalar = GraphQLDateTime;
/** Any JSON value (graphql-scalars). */
export const JSONScalar = GraphQLJSON;
