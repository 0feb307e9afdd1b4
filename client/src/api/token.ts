// The API token lives in localStorage so a lab member enters it once per browser. Listeners let the
// GraphQL/WebSocket clients and the role probe react when it changes.
const KEY = 'nephron.token';
const listeners = new Set<() => void>();

export function getToken(): string {
  try {
    return localStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token: string): void {
  const t = token.trim();
  if (t) localStorage.setItem(KEY, t);
  else localStorage.removeItem(KEY);
  listeners.forEach((l) => l());
}

export function onTokenChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function authHeader(): Record<string, string> {
  const t = getToken();
  return t ? { authorization: `Bearer ${t}` } : {};
}
