// Layout and routes of the lab dashboard.
import { lazy, Suspense } from 'react';
import { Link, match, useLocation } from './router';
import { Redirect } from './components/redirect';
import { TokenBar } from './components/token-bar';
import { ErrorBox, Loading } from './components/common';
import { ApiError, describeError } from './api/errors';
import { canOperate } from './api/hooks';
import { useCallerRole } from './role';
import { RunsView } from './views/runs-view';
import { SweepsView } from './views/sweeps-view';

// The runs table is the landing view; the chart-heavy views (uPlot, figures) load on first visit, so the first
// render downloads and parses less.
const RunDetailView = lazy(() => import('./views/run-detail-view').then((m) => ({ default: m.RunDetailView })));
const SweepView = lazy(() => import('./views/sweep-view').then((m) => ({ default: m.SweepView })));
const CohortsView = lazy(() => import('./views/cohorts-view').then((m) => ({ default: m.CohortsView })));
const CompareView = lazy(() => import('./views/compare-view').then((m) => ({ default: m.CompareView })));
const LaunchView = lazy(() => import('./views/launch-view').then((m) => ({ default: m.LaunchView })));

function Page() {
  const { path } = useLocation();
  const { role } = useCallerRole();
  let p: Record<string, string> | null;
  if (path === '/' || path === '') return <Redirect to="/runs" />;
  if (match('/runs', path)) return <RunsView />;
  if ((p = match('/runs/:id', path))) return <RunDetailView id={p.id} />;
  if (match('/compare', path)) return <CompareView />;
  if (match('/sweeps', path)) return <SweepsView />;
  if ((p = match('/sweeps/:id', path))) return <SweepView id={p.id} />;
  if (match('/cohorts', path)) return <CohortsView id={null} />;
  if ((p = match('/cohorts/:id', path))) return <CohortsView id={p.id} />;
  if (match('/launch', path))
    return canOperate(role) ? <LaunchView /> : role ? <ErrorBox error={new Error('Launching needs an OPERATOR or ADMIN token.')} /> : null;
  return <ErrorBox error={new Error(`No page at ${path}.`)} />;
}

const NAV = [
  ['/runs', 'Runs'],
  ['/sweeps', 'Sweeps'],
  ['/cohorts', 'Cohorts'],
] as const;

export function App() {
  const { path } = useLocation();
  const { role, error } = useCallerRole();
  const signedOut = error instanceof ApiError && error.code === 'UNAUTHENTICATED';
  return (
    <div className="app">
      <header className="top">
        <Link to="/runs" className="brand">
          nephron
        </Link>
        <nav>
          {NAV.map(([to, text]) => (
            <Link key={to} to={to} className={path.startsWith(to) ? 'active' : ''}>
              {text}
            </Link>
          ))}
          {canOperate(role) && (
            <Link to="/launch" className={`launch-link ${path.startsWith('/launch') ? 'active' : ''}`} data-testid="launch-button">
              + Launch sweep
            </Link>
          )}
        </nav>
        <TokenBar />
      </header>
      <main>
        {signedOut ? (
          <div className="signin" role="alert">
            <h2>Sign in</h2>
            <p>{describeError(error)}</p>
            <p className="muted">
              Ask an ADMIN for a token (<code>nephron token create --role VIEWER</code>) and enter it with the button at the top right. It stays in this
              browser.
            </p>
          </div>
        ) : (
          <>
            <ErrorBox error={error} title="Cannot talk to the server" />
            <Suspense fallback={<Loading what="the page" />}>
              <Page />
            </Suspense>
          </>
        )}
      </main>
    </div>
  );
}
