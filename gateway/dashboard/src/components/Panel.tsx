import type { ReactNode } from "react";

export function Panel({ title, actions, children, className, id }: { title: ReactNode; actions?: ReactNode; children: ReactNode; className?: string; id?: string }) {
  const hid = id ? `${id}-h` : undefined;
  return (
    <section className={`panel ${className ?? ""}`} aria-labelledby={hid} id={id}>
      <header className="panel-head">
        <h2 id={hid}>{title}</h2>
        {actions && <div className="panel-actions">{actions}</div>}
      </header>
      <div className="panel-body">{children}</div>
    </section>
  );
}

export function StatCard({ label, value, sub, tone, testId }: { label: string; value: ReactNode; sub?: ReactNode; tone?: "ok" | "warn" | "bad"; testId?: string }) {
  return (
    <div className={`stat ${tone ? `tone-${tone}` : ""}`} data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {sub && <div className="stat-sub">{sub}</div>}
    </div>
  );
}
