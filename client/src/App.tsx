// Layout and routes of the lab dashboard.
import { Link, match, useLocation } from './router';
import { Redirect } from './components/Redirect';
import { TokenBar } from './components/TokenBar';
import { ErrorBox } from './components/common';
import { canOperate } from './api/hooks';
import { useCallerRole } from './role';
import { RunsView } from './views/RunsView';
import { RunDetailView } from './views/RunDetailView';
import { SweepsView } from './views/SweepsView';
import { SweepView } from './views/SweepView';
import { CohortsView } from './views/CohortsView';
import { LaunchView } from './views/LaunchView';

function Page() {
  const { path } = useLocation();
  const { role } = useCallerRole();
  let p: Record<string, string> | null;
  if (path === '/' || path === '') return <Redirect to="/runs" />;
  if (match('/runs', path)) return <RunsView />;
  if ((p = match('/runs/:id', path))) return <RunDetailView id={p.id} />;
  if (match('/sweeps', path)) return <SweepsView />;
  if ((p = match('/sweeps/:id', path))) return <SweepView id={p.id} />;
  if (match('/cohorts', path)) return <CohortsView id={null} />;
  if ((p = match('/cohorts/:id', path))) return <CohortsView id={p.id} />;
  if (match('/launch', path)) return canOperate(role) ? <LaunchView /> : role ? <ErrorBox error={new Error('Launching needs an OPERATOR or ADMIN token.')} /> : null;
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
  return (
    <div className="app">
      <header className="top">
        <Link to="/runs" className="brand">nephron</Link>
        <nav>
          {NAV.map(([to, text]) => (
            <Link key={to} to={to} className={path.startsWith(to) ? 'active' : ''}>{text}</Link>
          ))}
          {canOperate(role) && (
            <Link to="/launch" className={`launch-link ${path.startsWith('/launch') ? 'active' : ''}`} data-testid="launch-button">+ Launch sweep</Link>
          )}
        </nav>
        <TokenBar />
      </header>
      <main>
        {error ? <ErrorBox error={error} title="Cannot talk to the server" /> : null}
        <Page />
      </main>
    </div>
  );
}
