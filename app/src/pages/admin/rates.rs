//! The complaint-rate panels of the Email channel page: the account's running 30-day rate
//! with its chart, and the guardrail per mailbox provider.

use crate::api::ResumeProvider;
use crate::kinds::{per_10k_as_percent, PAUSE_PER_10K, WARNING_PER_10K};
use crate::models::{ProviderRateView, RateView};
use crate::pages::{PostForm, Then};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The guardrail per mailbox provider: each family's running 30-day complaint and bounce
/// rates; bulk mail to a family whose complaint rate reached 0.3 % is paused (the others go
/// on, replies always do) until an admin resumes it with a reason.
#[component]
pub(super) fn ProvidersPanel(providers: Vec<ProviderRateView>) -> impl IntoView {
    let pause = per_10k_as_percent(PAUSE_PER_10K);
    view! {
        <section class="panel" data-testid="provider-guardrail">
            <h2>"Mailbox providers (running 30 days)"</h2>
            <p class="muted small">
                {format!(
                    "Bulk mail to one provider pauses itself when that provider's complaint rate                  reaches {pause} %; the other providers keep receiving campaigns and replies to                  conversations always go out. Resuming needs a reason and is logged."
                )}
            </p>
            <table class="providers">
                <thead>
                    <tr>
                        <th scope="col">"Provider"</th>
                        <th scope="col">"Sent"</th>
                        <th scope="col">"Complaints"</th>
                        <th scope="col">"Complaint rate"</th>
                        <th scope="col">"Bounces"</th>
                        <th scope="col">"Bounce rate"</th>
                        <th scope="col">"Bulk mail"</th>
                    </tr>
                </thead>
                <tbody>
                    {providers
                        .into_iter()
                        .map(|p| {
                            let state = if p.paused { "paused" } else { "sending" };
                            let resumed = p.resumed_at.map(|at| {
                                format!(
                                    "resumed {} by {}: {}",
                                    at.format("%Y-%m-%d %H:%M UTC"),
                                    p.resumed_by.clone().unwrap_or_default(),
                                    p.resume_reason.clone().unwrap_or_default(),
                                )
                            });
                            let since = p
                                .paused_at
                                .map(|at| format!(" since {}", at.format("%Y-%m-%d %H:%M UTC")))
                                .unwrap_or_default();
                            let provider = p.provider.clone();
                            view! {
                                <tr data-testid="provider-row" data-provider=p.provider.clone() data-state=state>
                                    <th scope="row">{p.label.clone()}</th>
                                    <td>{p.sent}</td>
                                    <td>{p.complaints}</td>
                                    <td class=format!("rate-status-{}", p.status)>
                                        {format!("{:.3} %", p.complaint_per_10k / 100.0)}
                                    </td>
                                    <td>{p.bounces}</td>
                                    <td>{format!("{:.2} %", p.bounce_percent)}</td>
                                    <td>
                                        {if p.paused {
                                            view! {
                                                <strong class="rate-status-paused" data-testid="provider-paused">
                                                    "Paused" {since}
                                                </strong>
                                                <PostForm url=ResumeProvider::url() class="inline-form" testid="" error_testid="" then=Then::Reload>
                                                    <input type="hidden" name="provider" value=provider />
                                                    <input
                                                        type="text"
                                                        name="reason"
                                                        required
                                                        placeholder="Reason"
                                                        aria-label="Reason for resuming"
                                                        data-testid="provider-resume-reason"
                                                    />
                                                    <button type="submit" data-testid="provider-resume">"Resume"</button>
                                                </PostForm>
                                            }
                                                .into_any()
                                        } else {
                                            view! {
                                                <span>"Sending"</span>
                                                {resumed.map(|r| view! { <span class="muted small">" (" {r} ")"</span> })}
                                            }
                                                .into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// The running 30-day complaint rate, its daily chart (SVG) with the 0.1 % line, and the
/// bounce and complaint counts behind it.
#[component]
pub(super) fn RatePanel(rate: RateView) -> impl IntoView {
    const W: f64 = 600.0;
    const H: f64 = 160.0;
    const PAD: f64 = 28.0;
    const LIMIT: f64 = WARNING_PER_10K as f64; // per 10,000
    let (warn, pause) = (
        per_10k_as_percent(WARNING_PER_10K),
        per_10k_as_percent(PAUSE_PER_10K),
    );
    let top = rate
        .days
        .iter()
        .map(|d| d.running_per_10k)
        .fold(LIMIT * 1.5, f64::max);
    let n = rate.days.len().max(2) as f64;
    let x = move |i: usize| PAD + (W - 2.0 * PAD) * i as f64 / (n - 1.0);
    let y = move |v: f64| H - PAD - (H - 2.0 * PAD) * (v / top);
    let points = rate
        .days
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{:.1},{:.1}", x(i), y(d.running_per_10k)))
        .collect::<Vec<_>>()
        .join(" ");
    let limit_y = y(LIMIT);
    let first = rate
        .days
        .first()
        .map(|d| d.date.clone())
        .unwrap_or_default();
    let last = rate.days.last().map(|d| d.date.clone()).unwrap_or_default();
    let status_class = format!("rate-status-{}", rate.status);
    let summary = format!(
        "{:.3} % ({} complaints / {} sent in the last 30 days)",
        rate.per_10k / 100.0,
        rate.complaints,
        rate.sent
    );
    let status_text = match rate.status.as_str() {
        "paused" => format!("Bulk sending is paused (≥ {pause} %); replies still go out."),
        "warning" => {
            format!("Above the {warn} % limit: find out why before sending more bulk mail.")
        }
        _ => format!("Under the {warn} % limit."),
    };
    view! {
        <section class="panel" data-testid="complaint-rate">
            <h2>"Spam-complaint rate (running 30 days)"</h2>
            <p>
                <strong data-testid="rate-value">{summary}</strong>
                " "
                <span class=status_class>{status_text}</span>
            </p>
            <svg
                class="rate-chart"
                data-testid="rate-chart"
                viewBox=format!("0 0 {W} {H}")
                role="img"
                aria-label=format!("Daily running 30-day complaint rate with the {warn} % limit")
            >
                <line
                    class="limit"
                    x1=PAD
                    x2=W - PAD
                    y1=limit_y
                    y2=limit_y
                    data-testid="rate-limit-line"
                />
                <text x=W - PAD - 60.0 y=limit_y - 4.0>{format!("{warn} % limit")}</text>
                <polyline class="line" points=points data-testid="rate-line" />
                <text x=PAD y=H - 8.0>{first}</text>
                <text x=W - PAD - 60.0 y=H - 8.0>{last}</text>
            </svg>
            <h2>"Complaint rate by recipient domain (running 30 days)"</h2>
            <table class="list" data-testid="domain-rates">
                <thead>
                    <tr>
                        <th>"Domain"</th>
                        <th>"Sent"</th>
                        <th>"Complaints"</th>
                        <th>"Rate"</th>
                        <th>"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {rate
                        .domain_rates
                        .into_iter()
                        .map(|d| {
                            let rate = format!("{:.3} %", d.per_10k / 100.0);
                            let class = format!("rate-{}", d.status);
                            let key = d.domain.clone();
                            view! {
                                <tr data-domain=key>
                                    <td>{d.domain}</td>
                                    <td>{d.sent}</td>
                                    <td>{d.complaints}</td>
                                    <td>{rate}</td>
                                    <td class=class>{d.status}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <div class="breakdown">
                <h2>"Last 30 days by category"</h2>
                <table class="list" data-testid="events-by-category">
                    <tbody>
                        {rate
                            .by_category
                            .into_iter()
                            .map(|(c, n)| view! { <tr><td>{c.replace('_', " ")}</td><td>{n}</td></tr> })
                            .collect_view()}
                    </tbody>
                </table>
                <h2>"By recipient domain"</h2>
                <table class="list" data-testid="events-by-domain">
                    <tbody>
                        {rate
                            .by_domain
                            .into_iter()
                            .map(|(d, c, n)| {
                                view! { <tr><td>{d}</td><td>{c.replace('_', " ")}</td><td>{n}</td></tr> }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}
