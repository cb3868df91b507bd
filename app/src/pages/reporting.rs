use super::ErrorNote;
use crate::api::get_reporting_summary;
use leptos::prelude::*;

#[component]
pub fn ReportingPage() -> impl IntoView {
    let summary = Resource::new(|| (), |_| get_reporting_summary());
    view! {
        <leptos_meta::Title text="Reporting · Deliverdesk" />
        <h1>"Reporting"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Err(e) => view! { <ErrorNote message=e.to_string() /> }.into_any(),
                    Ok(s) => {
                        view! {
                            <dl class="stats" data-testid="reporting">
                                <div><dt>"Open conversations"</dt><dd data-testid="open-count">{s.open}</dd></div>
                                <div><dt>"Done conversations"</dt><dd data-testid="done-count">{s.done}</dd></div>
                                <div><dt>"Messages received"</dt><dd>{s.inbound_messages}</dd></div>
                                <div><dt>"Messages sent"</dt><dd>{s.outbound_messages}</dd></div>
                            </dl>
                            <p class="muted" data-testid="excluded-spam">
                                {if s.excluded_spam == 1 {
                                    "1 spam conversation is left out of these counts.".to_string()
                                } else {
                                    format!("{} spam conversations are left out of these counts.", s.excluded_spam)
                                }}
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
