/**
 * graphql-ws `onSubscribe`: prepares an operation the way Apollo does for HTTP, so both paths refuse the same
 * things with the same codes: parse (with the token cap), validate (no introspection in production), coerce the
 * variables, check the operation limits. Returning errors answers the subscription with an `error` message (the
 * socket stays open); returning execution arguments lets graphql-ws run the operation with its context.
 * `executeWithDeadline` gives queries over the socket the deadline they have on HTTP (./http-guards.ts queryTimeout).
 */
import {
  execute,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { checkOperationLimits, checkSourceNesting, MAX_TOKENS, queryTimeoutError, type OperationLimits } from './limits';

export interface WsOperationOptions extends OperationLimits {
  /** false in production: introspection fields fail validation, as Apollo's `introspection: false` does on HTTP. */
  introspection: boolean;
}

interface SubscribePayload {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
}

const coded = (e: GraphQLError, code: string) =>
  new GraphQLError(e.message, {
    nodes: e.nodes,
    source: e.source,
    positions: e.positions,
    path: e.path,
    originalError: e.originalError,
    extensions: { ...e.extensions, code },
  });

export function prepareWsOperation(
  schema: GraphQLSchema,
  payload: SubscribePayload,
  options: WsOperationOptions,
): GraphQLError[] | Omit<ExecutionArgs, 'contextValue'> {
  const rules = options.introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule];
  if (typeof payload.query !== 'string' || !payload.query.trim()) {
    return [new GraphQLError('the subscribe payload needs a non-empty `query` string', { extensions: { code: 'BAD_REQUEST' } })];
  }
  if (payload.operationName != null && typeof payload.operationName !== 'string') {
    return [new GraphQLError('`operationName` must be a string', { extensions: { code: 'BAD_REQUEST' } })];
  }
  if (payload.variables != null && (typeof payload.variables !== 'object' || Array.isArray(payload.variables))) {
    return [new GraphQLError('`variables` must be an object', { extensions: { code: 'BAD_REQUEST' } })];
  }
  const tooDeep = checkSourceNesting(payload.query, options);
  if (tooDeep) {
    const { http: _status, ...extensions } = tooDeep.extensions;
    return [new GraphQLError(tooDeep.message, { extensions })];
  }
  let document: DocumentNode;
  try {
    document = parse(payload.query, { maxTokens: MAX_TOKENS });
  } catch (e) {
    return [
      e instanceof GraphQLError
        ? coded(e, 'GRAPHQL_PARSE_FAILED')
        : new GraphQLError('the query does not parse', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } }),
    ];
  }
  const invalid = validate(schema, document, rules);
  if (invalid.length) return invalid.map((e) => coded(e, 'GRAPHQL_VALIDATION_FAILED'));
  const operationName = (payload.operationName as string | null | undefined) ?? undefined;
  const operation = getOperationAST(document, operationName);
  if (!operation) {
    const message = operationName
      ? `no operation named "${operationName}" in the document`
      : 'the document has several operations: name one with `operationName`';
    return [new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } })];
  }
  const variables = (payload.variables ?? {}) as Record<string, unknown>;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 10 });
  if (coerced.errors) return coerced.errors.map((e) => coded(e, 'BAD_USER_INPUT'));
  const overLimit = checkOperationLimits(schema, document, operationName, variables, options);
  if (overLimit) {
    const { http: _status, ...extensions } = overLimit.extensions; // the HTTP status is Apollo's business
    return [new GraphQLError(overLimit.message, { extensions })];
  }
  return { schema, document, operationName, variableValues: variables };
}

/**
 * graphql-ws `execute` for the socket: a query not answered within `ms` is answered with one TIMEOUT error instead,
 * the same words and code as HTTP's 504. Its execution is not stopped (graphql-js cannot be), its late result is
 * dropped. The deadline is checked when the result comes too: in-process PGlite can finish a query in one run of
 * microtasks, before the timer's turn. Mutations run to completion whatever their duration, as on HTTP.
 */
export function executeWithDeadline(ms: number, onTimeout: (operationName: string | undefined) => void) {
  return (args: ExecutionArgs): ExecutionResult | Promise<ExecutionResult> => {
    const started = performance.now();
    const result = execute(args);
    if (!(result instanceof Promise) || getOperationAST(args.document, args.operationName)?.operation !== 'query') return result;
    let reported = false;
    const timedOut = (): ExecutionResult => {
      if (!reported) onTimeout(args.operationName ?? undefined);
      reported = true;
      return { errors: [queryTimeoutError(ms)] };
    };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<ExecutionResult>((resolve) => {
      timer = setTimeout(() => resolve(timedOut()), ms);
    });
    const late = result.then((r) => (performance.now() - started > ms ? timedOut() : r));
    return Promise.race([late, deadline]).finally(() => clearTimeout(timer));
  };
}
