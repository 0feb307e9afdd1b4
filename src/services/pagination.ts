import { badInput } from '../errors';
import type { PageInfo } from '../schema/types';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

/** `first` must be 0..500 (api.md: max page 500); default 50. */
export function pageSize(first: number | null | undefined, field = 'first'): number {
  if (first === null || first === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) {
    throw badInput(`${field} must be an integer between 0 and ${MAX_PAGE}, got ${first}`, field);
  }
  return first;
}

export function encodeCursor(kind: string, key: string | number): string {
  return Buffer.from(`${kind}:${key}`, 'utf8').toString('base64url');
}

/** The key inside a cursor made by encodeCursor(kind, …); a foreign or mangled cursor is BAD_USER_INPUT. */
export function decodeCursor(kind: string, cursor: string | null | undefined, field = 'after'): string | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(`${kind}:`)) throw badInput(`${field} is not a ${kind} cursor from this API`, field);
  return text.slice(kind.length + 1);
}

export function pageInfo<T>(nodes: T[], hasNextPage: boolean, hasPreviousPage: boolean, cursor: (n: T) => string): PageInfo {
  return {
    hasNextPage,
    hasPreviousPage,
    startCursor: nodes.length ? cursor(nodes[0]) : null,
    endCursor: nodes.length ? cursor(nodes[nodes.length - 1]) : null,
  };
}
