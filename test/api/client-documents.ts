/**
 * Every GraphQL document the dashboard (client/src/api/queries.ts) and the CLI (string literals in src/cli) send,
 * with the largest variables they send, for the limits test. CLI documents are read from the sources, so a new
 * or changed one is measured without editing this file; the one document the CLI builds at run time (the aliased
 * Bland–Altman request of report-data.ts) is rebuilt here at its largest size.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  getOperationAST,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  parse,
  typeFromAST,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import * as dashboard from '../../client/src/api/queries';
import { MAX_PAGE } from '../../src/services/pagination';

export interface ClientDocument {
  source: string;
  query: string;
  variables: Record<string, unknown>;
}

const CLI_DIR = path.resolve(__dirname, '../../src/cli');
const OPERATION = /^\s*(query|mutation|subscription)\b|^\s*\{\s*[A-Za-z_]/;
/** PAPER's largest N: 5 contrasts × 2 initialisations × 3 seeds models, each asked for both kidneys. */
const PAPER_MODELS = 30;

/** A valid value of an input type (required fields only); the limits do not depend on it except through `first`. */
function sample(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sample(type.ofType);
  if (isListType(type)) return [sample(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0].name;
  if (isInputObjectType(type)) {
    return Object.fromEntries(
      Object.values(type.getFields())
        .filter((f) => isNonNullType(f.type) && f.defaultValue === undefined)
        .map((f) => [f.name, sample(f.type)]),
    );
  }
  return ({ Int: 1, Float: 1, Boolean: true, ID: '00000000-0000-0000-0000-000000000000', JSON: {} } as Record<string, unknown>)[type.name] ?? 'right';
}

/** Worst variables: every declared variable given, `first` the biggest page anyone may ask for (MAX_PAGE). */
export function variablesFor(schema: GraphQLSchema, query: string, given: Record<string, unknown> = {}): Record<string, unknown> {
  const op = getOperationAST(parse(query));
  const vars: Record<string, unknown> = {};
  for (const d of op?.variableDefinitions ?? []) {
    const name = d.variable.name.value;
    const type = typeFromAST(schema, d.type as never) as GraphQLInputType | undefined;
    if (name === 'first') vars.first = MAX_PAGE;
    else if (name === 'maxPoints') vars.maxPoints = 400;
    else if (type) vars[name] = sample(type);
  }
  return { ...vars, ...given };
}

export function dashboardDocuments(schema: GraphQLSchema): ClientDocument[] {
  return Object.entries(dashboard)
    .filter(([, v]) => typeof v === 'string' && OPERATION.test(v))
    .map(([name, query]) => ({ source: `client/src/api/queries.ts ${name}`, query: query as string, variables: variablesFor(schema, query as string) }));
}

/** String constants of the CLI sources (`const NAME = '…'` or a template without interpolation). */
function cliConstants(sources: string[]): Map<string, string> {
  const constants = new Map<string, string>();
  for (const text of sources) {
    for (const m of text.matchAll(/const\s+([A-Za-z_]\w*)\s*=\s*(?:'([^'\n]*)'|`([^`$]*)`)/g)) constants.set(m[1], m[2] ?? m[3]);
  }
  return constants;
}

export function cliDocuments(schema: GraphQLSchema): { documents: ClientDocument[]; dynamic: string[] } {
  const files = readdirSync(CLI_DIR).filter((f) => f.endsWith('.ts'));
  const sources = files.map((f) => readFileSync(path.join(CLI_DIR, f), 'utf8'));
  const constants = cliConstants(sources);
  const documents: ClientDocument[] = [];
  const dynamic: string[] = [];
  files.forEach((file, i) => {
    for (const m of sources[i].matchAll(/`([^`]*)`|'([^'\n]*)'/g)) {
      const literal = m[1] ?? m[2];
      if (!OPERATION.test(literal) || !literal.includes('{') || !literal.includes('}')) continue;
      let unresolved = false;
      const query = literal.replace(/\$\{(\w+)\}/g, (_all, name: string) => {
        const value = constants.get(name);
        if (value === undefined) unresolved = true;
        return value ?? '';
      });
      if (unresolved) dynamic.push(`${file}: ${literal.slice(0, 60)}`);
      else documents.push({ source: `src/cli/${file}`, query, variables: variablesFor(schema, query) });
    }
  });
  // report-data.ts fetchAgreement: two aliased blandAltman fields per model at the largest N
  const fields = constants.get('fields') ?? '';
  const vars = Array.from({ length: PAPER_MODELS }, (_, i) => `$r${i}: ID!`).join(', ');
  const body = Array.from(
    { length: PAPER_MODELS },
    (_, i) => `r${i}: blandAltman(runId: $r${i}, kidney: "right") { ${fields} } l${i}: blandAltman(runId: $r${i}, kidney: "left") { ${fields} }`,
  ).join('\n');
  const query = `query(${vars}) { ${body} }`;
  documents.push({ source: `src/cli/report-data.ts agreement (${PAPER_MODELS} models)`, query, variables: variablesFor(schema, query) });
  return { documents, dynamic };
}
