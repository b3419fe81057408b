// The shell: a skip link, the navigation, and the page for the current path.
import { useEffect, useRef } from "react";
import { ApiKeyProvider } from "./components/ApiKey";
import { Link, RouterProvider, useRouter } from "./router";
import { Overview } from "./pages/Overview";
import { ForecastPage } from "./pages/Forecast";
import { GridPage } from "./pages/Grid";
import { ModelsPage } from "./pages/Models";
import { CompliancePage } from "./pages/Compliance";
import { SystemPage } from "./pages/System";

export const PAGES = [
  { path: "/", title: "Overview", el: Overview },
  { path: "/forecast", title: "Forecast", el: ForecastPage },
  { path: "/grid", title: "Grid", el: GridPage },
  { path: "/models", title: "Models", el: ModelsPage },
  { path: "/compliance", title: "Compliance", el: CompliancePage },
  { path: "/system", title: "System", el: SystemPage },
] as const;

function Shell() {
  const { path } = useRouter();
  const norm = path.replace(/\/+$/, "") || "/";
  const page = PAGES.find((p) => p.path === norm);
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    document.title = page ? `${page.title} · GridFlow` : "Not found · GridFlow";
    // Move focus to the new page's content for keyboard and screen-reader users (not on load).
    if (first.current) first.current = false;
    else main.current?.focus();
  }, [page]);
  const Page = page?.el;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/" className="brand" aria-label="GridFlow overview">
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <path d="M13 2 4 14h7l-1 8 9-12h-7z" fill="#F0E442" />
          </svg>
          GridFlow
        </Link>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map((p) => (
              <li key={p.path}>
                <Link href={p.path} aria-current={p.path === norm ? "page" : undefined}>
                  {p.title}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" ref={main} tabIndex={-1} data-page={page?.title.toLowerCase() ?? "notfound"}>
        {Page ? (
          <Page />
        ) : (
          <div className="page">
            <h1>Page not found</h1>
            <p>
              There is no page at <code>{path}</code>. <Link href="/">Go to the overview</Link>.
            </p>
          </div>
        )}
      </main>
    </>
  );
}

export function App() {
  return (
    <RouterProvider>
      <ApiKeyProvider>
        <Shell />
      </ApiKeyProvider>
    </RouterProvider>
  );
}
