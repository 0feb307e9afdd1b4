/**
 * Operation limits, the same for HTTP (Apollo plugin below) and graphql-ws (ws-operation.ts): a maximum selection
 * depth and a maximum estimated cost, measured on a parsed and validated document with its variables.
 *
 * Cost is type-graphql's query-complexity pattern (graphql-query-complexity): a field's own `complexity` extension
 * if it has one (fieldExtensionsEstimator; Sweep.runs counts as 100 runs), else a field with a `first` argument
 * costs 1 + first × its selection (connections: `runs`, `Cohort.subjects`; `first` defaults to the page size of 50
 * when omitted), else 1 + its selection (simpleEstimator). A root field (each one is at least one database query,
 * and aliases can repeat it thousands of times) costs ROOT_FIELD_COST more. Other unbounded lists (cohorts, metric
 * points, an evaluation's subjects) are counted once: the depth limit bounds what they add.
 *
 * Over a limit: BAD_USER_INPUT with `reason` QUERY_TOO_DEEP or QUERY_TOO_COMPLEX, the measured value and the
 * limit, HTTP 400, before anything executes.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  getOperationAST,
  GraphQLError,
  Kind,
  parse,
  type DocumentNode,
  type OperationTypeNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { DEFAULT_PAGE } from '../services/pagination';

export interface OperationLimits {
  maxDepth: number;
  maxComplexity: number;
}

/**
 * Tokens a document may have (graphql-js stops parsing past it). Bounds parse and validation work on hostile
 * documents (validation has quadratic steps); the largest document the CLI sends (Bland–Altman for 30 models) has
 * about 1,500.
 */
export const MAX_TOKENS = 20_000;

/** The one answer to a query past NEPHRON_REQUEST_TIMEOUT_MS, on HTTP (504, ./http-guards.ts) and graphql-ws (./ws-operation.ts). */
export function queryTimeoutError(ms: number): GraphQLError {
  const message = `the query did not finish within ${ms} ms (NEPHRON_REQUEST_TIMEOUT_MS); ask for less (smaller pages, fewer fields)`;
  return new GraphQLError(message, { extensions: { code: 'TIMEOUT', timeoutMs: ms } });
}

const operationTypes = new Map<string, OperationTypeNode | null>();

/**
 * The type of the operation a request will run ('query', 'mutation', 'subscription'), or null when its document does
 * not parse or does not name one operation. Memoised for documents under 10,000 characters (the dashboard and the CLI
 * send the same few again and again; a hostile stream of huge ones must not fill memory), and shared by the query timeout (./http-guards.ts) and the
 * answer cache (./answer-cache.ts).
 */
export function operationType(query: string, operationName?: string): OperationTypeNode | null {
  const memo = query.length < 10_000 ? `${operationName ?? ''}\0${query}` : null;
  let type = memo === null ? undefined : operationTypes.get(memo);
  if (type === undefined) {
    try {
      type = getOperationAST(parse(query, { maxTokens: MAX_TOKENS }), operationName)?.operation ?? null;
    } catch {
      type = null;
    }
    if (memo !== null) {
      if (operationTypes.size >= 1000) operationTypes.clear();
      operationTypes.set(memo, type);
    }
  }
  return type;
}

/**
 * Deepest bracket nesting ({ [ ( outside strings and comments) of a document's text, counted before parsing:
 * graphql-js parses and validates recursively, so a few thousand nested braces (well under MAX_TOKENS) would
 * exhaust the stack before the depth limit could look at the document.
 */
export function sourceNesting(source: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '#') {
      while (i < source.length && source[i] !== '\n' && source[i] !== '\r') i++;
    } else if (c === '"') {
      if (source.startsWith('"""', i)) {
        const end = source.indexOf('"""', i + 3);
        i = end < 0 ? source.length : end + 2;
      } else {
        for (i++; i < source.length && source[i] !== '"' && source[i] !== '\n'; i++) if (source[i] === '\\') i++;
      }
    } else if (c === '{' || c === '[' || c === '(') {
      if (++depth > deepest) deepest = depth;
    } else if (c === '}' || c === ']' || c === ')') {
      depth = Math.max(0, depth - 1);
    }
  }
  return deepest;
}

/** Bracket nesting allowed before parsing: room for the operation, arguments and input objects around maxDepth fields. */
export const sourceNestingLimit = (limits: OperationLimits) => limits.maxDepth * 2 + 10;

/** The error for a document nested too deeply to parse safely, or undefined. Call it on the raw text. */
export function checkSourceNesting(source: string, limits: OperationLimits): GraphQLError | undefined {
  const nesting = sourceNesting(source);
  const limit = sourceNestingLimit(limits);
  if (nesting <= limit) return undefined;
  return limitError(
    `the document nests brackets ${nesting} deep; at most ${limit} are read (NEPHRON_MAX_DEPTH ${limits.maxDepth} levels of fields)`,
    'QUERY_TOO_DEEP',
    nesting,
    limit,
  );
}

/** Connections: 1 + first × the selection (what one page can return). */
const paginationEstimator: ComplexityEstimator = ({ args, childComplexity, field }) => {
  if (!field.args.some((a) => a.name === 'first')) return undefined;
  const first = typeof args.first === 'number' && args.first >= 0 ? args.first : DEFAULT_PAGE;
  return 1 + first * childComplexity;
};

/** What a root field costs on top of its selection: 200 aliased root fields reach the default limit. */
export const ROOT_FIELD_COST = 100;
const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

const FIELD_ESTIMATORS = [fieldExtensionsEstimator(), paginationEstimator, simpleEstimator({ defaultComplexity: 1 })];

const rootFieldEstimator: ComplexityEstimator = (args) => {
  if (!ROOT_TYPES.has(args.type.name) || args.field.name === '__typename') return undefined;
  for (const estimate of FIELD_ESTIMATORS) {
    const cost = estimate(args);
    if (typeof cost === 'number') return ROOT_FIELD_COST + cost;
  }
  return undefined;
};

const ESTIMATORS = [rootFieldEstimator, ...FIELD_ESTIMATORS];

/** Deepest field nesting of the chosen operation (fragments expanded; `{ a { b } }` is 2). */
export function operationDepth(document: DocumentNode, operationName?: string | null): number {
  const operation = getOperationAST(document, operationName);
  if (!operation) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  // a fragment's depth does not depend on where it is spread: measure each once (documents may spread one many times)
  const memo = new Map<string, number>();
  const depthOf = (set: SelectionSetNode | undefined, visiting: Set<string>): number => {
    if (!set) return 0;
    let deepest = 0;
    for (const s of set.selections) {
      let d = 0;
      if (s.kind === Kind.FIELD) d = s.selectionSet ? 1 + depthOf(s.selectionSet, visiting) : 1;
      else if (s.kind === Kind.INLINE_FRAGMENT) d = depthOf(s.selectionSet, visiting);
      else {
        const name = s.name.value;
        const known = memo.get(name);
        if (known !== undefined) d = known;
        else if (!visiting.has(name) && fragments.has(name)) {
          visiting.add(name); // cycles are a validation error; never loop on one
          d = depthOf(fragments.get(name)!.selectionSet, visiting);
          visiting.delete(name);
          memo.set(name, d);
        }
      }
      if (d > deepest) deepest = d;
    }
    return deepest;
  };
  return depthOf(operation.selectionSet, new Set());
}

/** Estimated cost of the chosen operation; undefined when the variables do not fit it (execution reports that). */
export function operationComplexity(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): number | undefined {
  try {
    return getComplexity({
      schema,
      query: document,
      operationName: operationName ?? undefined,
      variables: variables ?? {},
      estimators: ESTIMATORS,
      maxQueryNodes: MAX_TOKENS,
    });
  } catch (e) {
    // more selections than the node budget: certainly over any sensible limit
    if (e instanceof GraphQLError && /maximum allowed number of nodes/.test(e.message)) return Number.POSITIVE_INFINITY;
    // variable values that do not fit the operation: the executor answers BAD_USER_INPUT naming the variable
    if (e instanceof GraphQLError && /^(Variable "\$|Argument "|Too many errors processing variables)/.test(e.message)) return undefined;
    throw e; // anything else is a bug here: fail closed (INTERNAL_SERVER_ERROR), never let the operation through unmeasured
  }
}

/** The error for the first limit the operation exceeds, or undefined. Call it on a validated document. */
export function checkOperationLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  limits: OperationLimits,
): GraphQLError | undefined {
  const depth = operationDepth(document, operationName);
  if (depth > limits.maxDepth) {
    return limitError(
      `the operation is nested ${depth} levels deep; the limit is ${limits.maxDepth} (NEPHRON_MAX_DEPTH)`,
      'QUERY_TOO_DEEP',
      depth,
      limits.maxDepth,
    );
  }
  const complexity = operationComplexity(schema, document, operationName, variables);
  if (complexity !== undefined && complexity > limits.maxComplexity) {
    const shown = Number.isFinite(complexity) ? String(complexity) : `more than ${MAX_TOKENS} selections`;
    return limitError(
      `the operation's estimated cost is ${shown}; the limit is ${limits.maxComplexity} (NEPHRON_MAX_COMPLEXITY). Ask for smaller pages (first) or fewer fields`,
      'QUERY_TOO_COMPLEX',
      Number.isFinite(complexity) ? complexity : null,
      limits.maxComplexity,
    );
  }
  return undefined;
}

function limitError(message: string, reason: string, value: number | null, limit: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', reason, value, limit, http: { status: 400 } } });
}

/** HTTP: checks every operation once Apollo has parsed and validated it, before it executes. */
export function limitsPlugin(limits: OperationLimits): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, schema }) {
          const error = checkOperationLimits(schema, document, request.operationName, request.variables, limits);
          if (error) throw error;
        },
      };
    },
  };
}
