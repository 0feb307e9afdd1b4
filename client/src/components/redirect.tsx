import { useEffect } from 'react';
import { navigate } from '../router';

/** Navigates after render (navigating during render would update the router while React renders). */
export function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, true), [to]);
  return null;
}
