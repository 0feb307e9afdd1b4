// API errors carry extensions.code (api.md); the dashboard shows them as sentences a lab member can act on.
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const HINTS: Record<string, string> = {
  UNAUTHENTICATED: 'Enter a valid API token with "Token" at the top right.',
  FORBIDDEN: "Your token's role may not do this (viewers can only look).",
  NOT_FOUND: 'It does not exist (any more).',
  CONFLICT: 'That is not possible in its current state.',
  BAD_USER_INPUT: 'The server refused the input.',
  NOT_IMPLEMENTED: 'The server does not offer this yet.',
  INTERNAL_SERVER_ERROR: 'The server failed; its log has the details.',
  NETWORK: 'The server could not be reached. Is nephron running?',
};

/** One human sentence (or two) for any error the API client throws. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    const hint = HINTS[e.code] ?? '';
    const field = e.field ? ` (field: ${e.field})` : '';
    const said = e.message.charAt(0).toUpperCase() + e.message.slice(1);
    return `${said.replace(/[.:]?$/, '.')}${field} ${hint}`.trim();
  }
  if (e instanceof Error) return e.message;
  return String(e);
}
