// Compliance: ask questions on EU energy law. Each answer lists the passages it rests on; a
// citation expands to its passage and, on demand, the whole article. Refusals (no evidence
// in the corpus) are shown as refusals, not as answers.
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { ask, article, type Answer, type Article, type Citation } from "../api";
import { useWithKey } from "../components/ApiKey";
import { ErrorState, Loading } from "../components/State";
import { useApi } from "../hooks";

interface Turn {
  id: number;
  question: string;
  answer?: Answer;
  error?: unknown;
}

const EXAMPLES = [
  "Who can be designated as an obligated party under an energy efficiency obligation scheme?",
  "What rights do final customers have to a dynamic electricity price contract?",
  "Must the national inventory of central government buildings be public?",
];

export function CompliancePage() {
  const [turns, setTurns] = useState<Turn[]>([]);
  const [q, setQ] = useState("");
  const [busy, setBusy] = useState(false);
  const withKey = useWithKey();
  const nextId = useRef(1);
  const endRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    endRef.current?.scrollIntoView?.({ block: "end", behavior: "smooth" });
  }, [turns]);

  const submit = async (question: string) => {
    const text = question.trim();
    if (!text || busy) return;
    const id = nextId.current++;
    setTurns((t) => [...t, { id, question: text }]);
    setQ("");
    setBusy(true);
    try {
      const a = await withKey(() => ask(text), "ask the compliance service");
      setTurns((t) => t.map((x) => (x.id === id ? { ...x, answer: a } : x)));
    } catch (e) {
      setTurns((t) => t.map((x) => (x.id === id ? { ...x, error: e } : x)));
    } finally {
      setBusy(false);
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit(q);
  };

  return (
    <div className="page compliance">
      <div className="page-head">
        <h1>Compliance</h1>
        <p className="muted">Questions on EU energy law (Energy Efficiency Directive, Electricity Directive and Regulation, Governance Regulation). Answers quote the articles they rest on.</p>
      </div>
      <div className="chat" aria-live="polite" data-testid="chat">
        {turns.length === 0 && (
          <div className="chat-empty">
            <p>Try one of these:</p>
            <ul>
              {EXAMPLES.map((e) => (
                <li key={e}>
                  <button type="button" className="linklike" onClick={() => void submit(e)}>
                    {e}
                  </button>
                </li>
              ))}
            </ul>
          </div>
        )}
        {turns.map((t) => (
          <div key={t.id} className="turn">
            <div className="bubble question">{t.question}</div>
            {t.answer ? (
              <AnswerView a={t.answer} />
            ) : t.error ? (
              <ErrorState error={t.error} what="The answer" />
            ) : (
              <Loading what="an answer" />
            )}
          </div>
        ))}
        <div ref={endRef} />
      </div>
      <form className="ask-form" onSubmit={onSubmit}>
        <label htmlFor="question" className="sr-only">
          Your question
        </label>
        <textarea
          id="question"
          value={q}
          rows={2}
          placeholder="Ask about EU energy law… (Enter to send, Shift+Enter for a new line)"
          onChange={(e) => setQ(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              void submit(q);
            }
          }}
        />
        <button type="submit" className="btn primary" disabled={busy || !q.trim()}>
          {busy ? "Asking…" : "Ask"}
        </button>
      </form>
    </div>
  );
}

/** The answer text with [P1]-style markers turned into links to the citation. */
function withMarkers(text: string, cits: Citation[], turnKey: string): ReactNode[] {
  const ids = new Set(cits.map((c) => c.id));
  return text.split(/(\[P\d+(?:,\s*P\d+)*\])/g).map((part, i) => {
    const m = part.match(/^\[(P\d+(?:,\s*P\d+)*)\]$/);
    if (!m) return part;
    return (
      <sup key={i} className="cite-marks">
        {m[1].split(/,\s*/).map((id) =>
          ids.has(id) ? (
            <a key={id} href={`#${turnKey}-${id}`} className="cite-mark">
              {id}
            </a>
          ) : (
            <span key={id}>{id}</span>
          ),
        )}
      </sup>
    );
  });
}

let answerSeq = 0;
function AnswerView({ a }: { a: Answer }) {
  const [key] = useState(() => `a${++answerSeq}`);
  if (a.refused) {
    return (
      <div className="bubble answer refused" data-testid="answer" data-refused="true">
        <div className="answer-tag">Refused — no answer given</div>
        <p>{a.reason_message ?? a.answer ?? "The corpus holds no evidence for this question."}</p>
        {a.reason && <p className="muted">Reason: {a.reason}</p>}
        {a.citations.length > 0 && <Citations cits={a.citations} turnKey={key} title="Closest passages found" />}
      </div>
    );
  }
  return (
    <div className="bubble answer" data-testid="answer" data-refused="false">
      <div className="answer-text">{a.answer ? withMarkers(a.answer, a.citations, key) : <em>No answer text.</em>}</div>
      <div className="answer-meta muted">
        Confidence {a.confidence !== null ? `${Math.round(a.confidence * 100)} %` : "–"}
        {a.notes.length > 0 && <> · {a.notes.join(" · ")}</>}
      </div>
      {a.citations.length > 0 ? <Citations cits={a.citations} turnKey={key} title="Citations" /> : <p className="muted">No citations.</p>}
    </div>
  );
}

function Citations({ cits, turnKey, title }: { cits: Citation[]; turnKey: string; title: string }) {
  return (
    <div className="citations">
      <h3>{title}</h3>
      <ol>
        {cits.map((c) => (
          <CitationItem key={c.id} c={c} anchor={`${turnKey}-${c.id}`} />
        ))}
      </ol>
    </div>
  );
}

function citeLabel(c: Citation): string {
  if (c.ref) return c.document_name && !c.ref.includes(c.document_name) ? `${c.document_name}, ${c.ref}` : c.ref;
  const art = /^(art|annex)/i.test(c.article) ? c.article : `Article ${c.article}`;
  return `${c.document_name ?? c.document}, ${art}${c.paragraph ? `(${c.paragraph})` : ""}${c.point ? ` point ${c.point}` : ""}`;
}

function CitationItem({ c, anchor }: { c: Citation; anchor: string }) {
  const [open, setOpen] = useState(false);
  const [full, setFull] = useState(false);
  const artNo = c.article.replace(/^article\s+/i, "");
  return (
    <li id={anchor} className="citation" data-testid="citation">
      <button type="button" className="citation-head" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        <span className="cite-id">{c.id}</span> <span>{citeLabel(c)}</span>
        {c.title && <span className="muted"> — {c.title}</span>}
        <span className="chev" aria-hidden="true">{open ? "▾" : "▸"}</span>
      </button>
      {open && (
        <div className="citation-body" data-testid="citation-text">
          <blockquote>{c.text}</blockquote>
          <div className="muted small">
            {c.document}
            {c.score !== null && ` · score ${c.score.toFixed(2)}`}
          </div>
          {!full ? (
            <button type="button" className="btn small" onClick={() => setFull(true)}>
              Show the whole {/^annex/i.test(c.article) ? "annex" : "article"}
            </button>
          ) : (
            <FullArticle doc={c.document} n={artNo} />
          )}
        </div>
      )}
    </li>
  );
}

function FullArticle({ doc, n }: { doc: string; n: string }) {
  const st = useApi<Article>((s) => article(doc, n, s), [doc, n]);
  if (st.data === undefined) return st.error ? <ErrorState error={st.error} what="The article" onRetry={st.reload} /> : <Loading what="the article" />;
  const a = st.data;
  return (
    <div className="article" data-testid="article">
      <h4>
        {a.kind === "annex" ? "" : "Article "}
        {a.number}
        {a.title ? ` — ${a.title}` : ""}
      </h4>
      {a.chapter && <div className="muted small">{a.chapter}</div>}
      {a.paragraphs.map((p, i) => (
        <p key={i} className="article-para">
          {p.number && !p.text.trimStart().startsWith(`${p.number}.`) && <span className="para-no">{p.number}. </span>}
          {p.text}
        </p>
      ))}
    </div>
  );
}
