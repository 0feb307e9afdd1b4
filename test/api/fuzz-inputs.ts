/**
 * Seeded generators of malformed input for the fuzz test: GraphQL documents (token soup from the schema's names,
 * truncated real queries, deep nesting, many aliases, hostile strings), variables of the wrong types, raw HTTP
 * requests, and graphql-transport-ws messages. Same seed, same inputs.
 */
import { getNamedType, isObjectType, type GraphQLSchema } from 'graphql';
import { Rng } from '../../src/data/random';

export interface HttpCase {
  kind: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  contentType?: string;
  accept?: string;
  /** The raw body (POST/PUT) or the query string (GET, without '?'). */
  body: string;
}

/** One websocket case: messages sent in order on a connection (raw strings, not necessarily JSON). */
export interface WsCase {
  kind: string;
  /** Start from a fresh connection (else the previous one, if still open). */
  fresh: boolean;
  messages: string[];
}

/** encodeURIComponent for any string, lone surrogates included (their UTF-8 replacement bytes). */
export const percentEncode = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

// the hostile strings and the case tables below stay one a line, as written (prettier-ignore)
// prettier-ignore
const HOSTILE_STRINGS = ['\u0000', '\u0000\u0000query', '\ud800', '\udfff\ud800', '💥🧪', 'ﷺ', '\u202e', 'Ω≈ç√', '\\', '"', '\\u0000', '%00', '${}', '__proto__', 'constructor'];

export class FuzzInputs {
  private readonly names: string[];

  constructor(
    readonly rng: Rng,
    schema: GraphQLSchema,
    /** Real documents (the dashboard's), to truncate and to give wrong variables. */
    private readonly real: string[],
  ) {
    const names = new Set<string>();
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      names.add(type.name);
      if (isObjectType(type))
        for (const f of Object.values(type.getFields())) {
          names.add(f.name);
          for (const a of f.args) names.add(a.name);
          names.add(getNamedType(f.type).name);
        }
    }
    this.names = [...names];
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.rng.int(0, xs.length - 1)];
  }

  private chance(p: number): boolean {
    return this.rng.next() < p;
  }

  private hostileString(): string {
    // prettier-ignore
    switch (this.rng.int(0, 3)) {
      case 0: return this.pick(HOSTILE_STRINGS);
      case 1: return 'x'.repeat(this.rng.int(1000, 200_000));
      case 2: return Array.from({ length: this.rng.int(1, 40) }, () => String.fromCharCode(this.rng.int(0, 0xffff))).join('');
      default: return this.pick(HOSTILE_STRINGS).repeat(this.rng.int(2, 5000));
    }
  }

  /** A malformed or hostile GraphQL document. */
  document(): { kind: string; query: string } {
    const n = this.names;
    // prettier-ignore
    switch (this.rng.int(0, 7)) {
      case 0: {
        const tokens = ['{', '}', '(', ')', ':', '$', '...', '@', '!', '[', ']', '=', '"x"', '1', 'query', 'mutation', 'subscription', 'fragment', 'on', ...n];
        return { kind: 'token soup', query: Array.from({ length: this.rng.int(1, 80) }, () => this.pick(tokens)).join(this.chance(0.5) ? ' ' : '') };
      }
      case 1: {
        const q = this.pick(this.real);
        return { kind: 'truncated real query', query: q.slice(0, this.rng.int(0, q.length - 1)) };
      }
      case 2: {
        const depth = this.rng.int(11, 3000);
        return { kind: `nesting ${depth}`, query: `{ run(id: "x") ${'{ pretrainRun '.repeat(depth)}{ id }${' }'.repeat(depth)} }` };
      }
      case 3: {
        const count = this.rng.int(100, 6000);
        const field = this.pick(['__typename', 'cohorts { id }', 'runs(first: 500) { totalCount }', 'sweeps { runs { id } }']);
        return { kind: `${count} aliases`, query: `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }` };
      }
      case 4: {
        const s = JSON.stringify(this.hostileString());
        return { kind: 'hostile string argument', query: `{ run(id: ${s}) { id } cohort(id: ${s}) { name } }` };
      }
      case 5: {
        return { kind: 'hostile characters', query: `{ ${this.hostileString()} runs { totalCount } }` };
      }
      case 6: {
        const f = this.rng.int(1, 40);
        // fragment cycles and fragment fan-out
        const frags = Array.from({ length: f }, (_, i) => `fragment F${i} on Run { id ...F${(i + 1) % (this.chance(0.5) ? f : f + 1)} ...F${this.rng.int(0, f - 1)} }`).join('\n');
        return { kind: 'fragments', query: `{ runs { edges { node { ...F0 } } } }\n${frags}` };
      }
      default: {
        const names = Array.from({ length: this.rng.int(1, 4) }, () => this.pick(n));
        return { kind: 'unknown fields and arguments', query: `{ ${names[0]}(${names[1] ?? 'x'}: ${this.pick(['1', '"s"', 'null', '[1]', '{a: 1}', '$v', 'ENUM'])}) { ${names.slice(2).join(' ') || 'id'} } }` };
      }
    }
  }

  /** Variables of the wrong types (or no object at all) for a real query. */
  badVariables(): { kind: string; query: string; variables: unknown } {
    const query = this.pick(this.real);
    const names = [...query.matchAll(/\$(\w+)\s*:/g)].map((m) => m[1]);
    const wrong = () =>
      this.pick<unknown>([
        this.hostileString(),
        -1,
        2 ** 53,
        1e308,
        0.5,
        true,
        null,
        [],
        [[[]]],
        {},
        { __proto__: { admin: true } },
        'NOT_AN_ENUM',
        '00000000-0000-0000-0000-00000000000g',
      ]);
    const variables = this.chance(0.15)
      ? this.pick<unknown>(['string', 42, [1, 2], null])
      : Object.fromEntries([...names, this.pick(this.names)].map((v) => [v, wrong()]));
    return { kind: 'bad variables', query, variables };
  }

  /** A raw HTTP request to /graphql that is malformed at the HTTP or JSON level. */
  http(): HttpCase {
    const json = 'application/json';
    // prettier-ignore
    switch (this.rng.int(0, 7)) {
      case 0: return { kind: 'random bytes', method: 'POST', contentType: json, body: Array.from({ length: this.rng.int(0, 300) }, () => String.fromCharCode(this.rng.int(0, 255))).join('') };
      case 1: {
        const good = JSON.stringify({ query: this.pick(this.real), variables: {} });
        return { kind: 'truncated JSON', method: 'POST', contentType: json, body: good.slice(0, this.rng.int(0, good.length - 1)) };
      }
      case 2: {
        const shape = this.pick<unknown>([{ query: 42 }, { query: ['{ runs { totalCount } }'] }, { query: { a: 1 } }, { query: '{ runs { totalCount } }', variables: 'x' }, { query: '{ runs { totalCount } }', variables: [1] },
          { query: '{ runs { totalCount } }', operationName: 5 }, { query: '{ runs { totalCount } }', extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } }, null, [], [{ query: '{ __typename }' }], 'query', true]);
        return { kind: 'wrong JSON shape', method: 'POST', contentType: json, body: JSON.stringify(shape) };
      }
      case 3: {
        const depth = this.rng.int(100, 20_000);
        return { kind: `JSON nested ${depth}`, method: 'POST', contentType: json, body: `{"query":"{ __typename }","variables":{"v":${'['.repeat(depth)}${']'.repeat(depth)}}}` };
      }
      case 4: return { kind: 'wrong content type', method: 'POST', contentType: this.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=zz', 'application/graphql', 'application/json; charset=latin-9', 'application/xml', '']), body: 'query={__typename}' };
      case 5: return { kind: 'GET with a hostile query string', method: 'GET', body: this.pick(['query=', 'query=%00', `query=${percentEncode(this.document().query)}`, 'query={__typename}&variables={bad', 'variables=%7B%7D', `query=${encodeURIComponent('mutation { cancelRun(id: "x") { id } }')}`, '%%%', 'query=' + 'a'.repeat(50_000)]) };
      case 6: return { kind: 'other method', method: this.pick(['PUT', 'DELETE'] as const), contentType: json, body: JSON.stringify({ query: '{ __typename }' }) };
      default: return { kind: 'odd accept header', method: 'POST', contentType: json, accept: this.pick(['application/graphql-response+json', 'text/html', '*/*;q=0', 'application/xml', 'multipart/mixed; deferSpec=20220824', 'application/json;;;q=x']), body: JSON.stringify({ query: this.document().query }) };
    }
  }

  /** A graphql-transport-ws case: protocol abuse around connection_init and subscribe. */
  ws(): WsCase {
    const init = JSON.stringify({ type: 'connection_init' });
    const sub = (id: unknown, payload: unknown) => JSON.stringify({ type: 'subscribe', id, payload });
    const live = 'subscription { runEvents { runId status } }';
    // prettier-ignore
    switch (this.rng.int(0, 8)) {
      case 0: return { kind: 'malformed JSON', fresh: this.chance(0.5), messages: [this.pick(['{', '', 'null', '[]', '"x"', '{"type":', '\u0000', this.hostileString()])] };
      case 1: return { kind: 'unknown message type', fresh: this.chance(0.5), messages: [init, JSON.stringify({ type: this.pick(['start', 'stop', 'connection_terminate', 'data', 'ka', 'next', 'error', 'complete_all', '', 42]), id: '1', payload: {} })] };
      case 2: return { kind: 'subscribe before connection_init', fresh: true, messages: [sub('1', { query: live })] };
      case 3: return { kind: 'duplicate ids', fresh: true, messages: [init, sub('dup', { query: live }), sub('dup', { query: live })] };
      case 4: return { kind: 'bad subscribe payload', fresh: this.chance(0.3), messages: [init, sub(this.pick<unknown>(['p', 7, null, '', {}, 'x'.repeat(10_000)]), this.pick<unknown>([null, 'query', 42, [], {}, { query: 42 }, { query: '' }, { query: live, variables: 'x' }, { query: live, variables: [1] }, { query: live, operationName: 5 }, { query: live, extensions: 'x' }]))] };
      case 5: {
        const d = this.document();
        return { kind: `ws document: ${d.kind}`, fresh: this.chance(0.3), messages: [init, sub(`d${this.rng.int(0, 1e9)}`, { query: d.query })] };
      }
      case 6: {
        const v = this.badVariables();
        return { kind: 'ws bad variables', fresh: this.chance(0.3), messages: [init, sub(`v${this.rng.int(0, 1e9)}`, { query: v.query, variables: v.variables })] };
      }
      case 7: return { kind: 'second connection_init', fresh: true, messages: [init, init] };
      default: return { kind: 'complete, ping and pong out of place', fresh: this.chance(0.5), messages: [this.pick([JSON.stringify({ type: 'complete', id: 'nope' }), JSON.stringify({ type: 'pong', payload: 5 }), JSON.stringify({ type: 'ping', payload: this.hostileString() }), JSON.stringify({ type: 'complete' })])] };
    }
  }
}
