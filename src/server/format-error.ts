/**
 * One place that turns any error into the error shape of api.md: `extensions.code` from BAD_USER_INPUT,
 * NOT_FOUND, UNAUTHENTICATED, FORBIDDEN, CONFLICT, NOT_IMPLEMENTED, INTERNAL_SERVER_ERROR; `extensions.field`
 * for bad input where it is known; never a stack trace or an internal message unless NODE_ENV=development.
 */
import { unwrapResolverError } from '@apollo/server/errors';
import { parse, visit, type ASTNode, type GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { EntityNotFoundError, QueryFailedError } from 'typeorm';
import { BlobStoreFullError } from '../data/blob-store';
import { isTransientDbError } from '../db/transient';
import { ConfigError } from '../ml/resolve-config';

const DB_CODES: Record<string, { code: string; message: string }> = {
  '23505': { code: 'CONFLICT', message: 'a record with the same unique value already exists' },
  '23503': { code: 'CONFLICT', message: 'the record is referenced by, or references, a record that does not exist or is in use' },
  '22P02': { code: 'BAD_USER_INPUT', message: 'a value has the wrong format' },
  '22003': { code: 'BAD_USER_INPUT', message: 'a number is out of range' },
};

export function createFormatError(log: Logger, development: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const ext = { ...(formatted.extensions ?? {}) } as Record<string, unknown>;
    if (!development) delete ext.stacktrace;
    const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };

    if (original instanceof BlobStoreFullError) {
      // the server's condition, not the caller's input; the message says what to do and names no path
      log.error({ err: original, where: original.where }, 'blob store full');
      return { ...base, message: original.message, extensions: { code: 'INTERNAL_SERVER_ERROR', reason: 'DISK_FULL' } };
    }
    if (isTransientDbError(original)) {
      // PostgreSQL restarting or unreachable: the same request may well succeed in a moment (no address in the message)
      log.warn({ err: (original as Error).message }, 'database unavailable while executing an operation');
      return {
        ...base,
        message: 'the database is unavailable right now; try again shortly',
        extensions: { code: 'INTERNAL_SERVER_ERROR', reason: 'DATABASE_UNAVAILABLE' },
      };
    }
    if (original instanceof ConfigError) {
      return { ...base, extensions: { ...ext, code: 'BAD_USER_INPUT', field: `input.overrides.${original.path}` } };
    }
    if (original instanceof EntityNotFoundError) {
      return { ...base, message: 'not found', extensions: { ...ext, code: 'NOT_FOUND' } };
    }
    if (original instanceof QueryFailedError) {
      const pgCode = (original.driverError as { code?: string } | undefined)?.code ?? '';
      const mapped = DB_CODES[pgCode];
      if (mapped) {
        const detail = (original.driverError as { detail?: string } | undefined)?.detail;
        return { ...base, message: development && detail ? `${mapped.message}: ${detail}` : mapped.message, extensions: { ...ext, code: mapped.code } };
      }
    }
    switch (ext.code) {
      case 'GRAPHQL_VALIDATION_FAILED': {
        // a wrong enum value, an unknown field or argument: the caller's input, as api.md counts it
        const field = argumentPath(error);
        return { ...base, extensions: { ...ext, code: 'BAD_USER_INPUT', reason: 'GRAPHQL_VALIDATION_FAILED', ...(field ? { field } : {}) } };
      }
      case 'BAD_USER_INPUT':
        if (!ext.field) {
          // variable coercion: 'Variable "$input" got invalid value "FOO" at "input.contrast"; …'
          const at = /at "([^"]+)"/.exec(formatted.message)?.[1] ?? /Variable "\$([^"]+)"/.exec(formatted.message)?.[1];
          if (at) ext.field = at;
        }
        return { ...base, extensions: ext };
      case undefined:
      case 'INTERNAL_SERVER_ERROR': {
        log.error({ err: original }, 'internal error while executing an operation');
        if (development) return { ...base, extensions: { ...ext, code: 'INTERNAL_SERVER_ERROR' } };
        return { ...base, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      }
      default:
        return { ...base, extensions: ext };
    }
  };
}

/** For a validation error on a literal value, the argument path it sits in (e.g. "filter.status"), if any. */
function argumentPath(error: unknown): string | undefined {
  const e = error as Partial<GraphQLError> | undefined;
  if (!e?.nodes?.length) return undefined;
  const source = e.source ?? e.nodes[0].loc?.source;
  if (!source) return undefined;
  const target = e.nodes[0].loc?.start;
  if (target === undefined) return undefined;
  let found: string | undefined;
  try {
    visit(parse(source.body), {
      enter(node, _key, parent, _path, ancestors) {
        if (
          found ||
          node.loc?.start !== target ||
          (node.kind !== 'EnumValue' && node.kind !== 'StringValue' && node.kind !== 'IntValue' && node.kind !== 'ObjectField' && node.kind !== 'Argument')
        )
          return undefined;
        const names = [...(ancestors as ASTNode[]), parent as ASTNode, node]
          .filter((a) => !!a && !Array.isArray(a) && (a.kind === 'Argument' || a.kind === 'ObjectField'))
          .map((a) => (a as unknown as { name: { value: string } }).name.value);
        if (names.length) found = names.join('.');
        return undefined;
      },
    });
  } catch {
    return undefined;
  }
  return found;
}
