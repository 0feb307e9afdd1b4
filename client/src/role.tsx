// The caller's role, probed once per token and shared, so operator-only controls (launch, cancel) can hide.
import { createContext, useContext, type ReactNode } from 'react';
import { useRole, type Role } from './api/hooks';

const RoleContext = createContext<{ role: Role | null; error: unknown }>({ role: null, error: null });

export function RoleProvider({ children }: { children: ReactNode }) {
  return <RoleContext.Provider value={useRole()}>{children}</RoleContext.Provider>;
}

export const useCallerRole = () => useContext(RoleContext);
