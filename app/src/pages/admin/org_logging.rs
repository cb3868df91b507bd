//! The Org Logging page: every deliverability and admin event of the account, filtered.

use crate::api::get_org_log;
use crate::kinds::LogKind;
use crate::models::{count_of, LogQuery};
use crate::pages::{urlencode, ErrorNote};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn OrgLoggingPage() -> impl IntoView {
    let q = use_query_map();
    let param = move |k: &str| q.read().get(k).filter(|v| !v.trim().is_empty());
    let query = move || LogQuery {
        kind: param("kind"),
        subject: param("subject"),
        from: param("from"),
        to: param("to"),
        page: param("page").and_then(|p| p.parse().ok()).unwrap_or(0),
    };
    let log = Resource::new(query, get_org_log);
    view! {
        <leptos_meta::Title text="Org Logging · Deliverdesk" />
        <h1>"Org Logging"</h1>
        <form method="get" action="/org-logging" class="filters" data-testid="log-filters">
            <label>
                "Type"
                <select name="kind">
                    <option value="">"All types"</option>
                    {LogKind::ALL
                        .into_iter()
                        .map(|k| {
                            view! {
                                <option
                                    value=k.as_str()
                                    selected=move || param("kind").as_deref() == Some(k.as_str())
                                >
                                    {k.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Address or domain"
                <input type="text" name="subject" value=move || param("subject").unwrap_or_default() />
            </label>
            <label>
                "From" <input type="date" name="from" value=move || param("from").unwrap_or_default() />
            </label>
            <label>
                "To" <input type="date" name="to" value=move || param("to").unwrap_or_default() />
            </label>
            <button type="submit">"Filter"</button>
        </form>
        <p>
            <a
                href=move || {
                    let q = query();
                    let parts: Vec<String> = [("kind", &q.kind), ("subject", &q.subject), ("from", &q.from), ("to", &q.to)]
                        .into_iter()
                        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", urlencode(v))))
                        .collect();
                    format!("/org-logging/export.csv?{}", parts.join("&"))
                }
                download="org-logging.csv"
                rel="external"
                data-testid="log-export"
            >
                "Export these entries as CSV"
            </a>
        </p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match log.await {
                    Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                    Ok(page) if page.entries.is_empty() => {
                        view! {
                            <p class="muted empty" data-testid="org-log-empty">
                                "No entries match. Bounces, complaints, suppressions, spam verdicts and every admin                                  change are logged here as they happen; widen the dates or clear the filters."
                            </p>
                        }
                            .into_any()
                    }
                    Ok(page) => {
                        let q = query();
                        let last = ((page.total - 1).max(0) as u32) / page.per_page.max(1);
                        let link = move |p: u32| {
                            let mut parts = vec![format!("page={p}")];
                            for (k, v) in [("kind", &q.kind), ("subject", &q.subject), ("from", &q.from), ("to", &q.to)] {
                                if let Some(v) = v {
                                    parts.push(format!("{k}={}", urlencode(v)));
                                }
                            }
                            format!("/org-logging?{}", parts.join("&"))
                        };
                        view! {
                            <table class="list" data-testid="org-log">
                                <thead>
                                    <tr>
                                        <th>"Time"</th>
                                        <th>"Type"</th>
                                        <th>"Actor"</th>
                                        <th>"Subject"</th>
                                        <th>"Details"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {page
                                        .entries
                                        .into_iter()
                                        .map(|e| {
                                            view! {
                                                <tr data-testid="log-row">
                                                    <td>{crate::pages::fmt_time(&e.at)}</td>
                                                    <td><span class="badge">{e.kind.replace('_', " ")}</span></td>
                                                    <td>{e.actor}</td>
                                                    <td>{e.subject}</td>
                                                    <td><code class="details">{e.details}</code></td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            <nav class="pager" aria-label="Pages">
                                <span class="muted">
                                    {count_of(page.total, "entry", "entries")} " · page " {page.page + 1} " of " {last + 1}
                                </span>
                                {(page.page > 0).then(|| view! { <a href=link(page.page - 1)>"← Newer"</a> })}
                                {(page.page < last).then(|| view! { <a href=link(page.page + 1)>"Older →"</a> })}
                            </nav>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
