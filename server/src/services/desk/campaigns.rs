//! Campaigns and their lists.

use super::email_channel::sender_view;
use super::{campaign_error, internal, DeskService};
use crate::domain::suppression::AccountId;
use app::backend::Admin;
use app::error::ApiError;
use app::models::*;
use chrono::Utc;

pub(super) async fn campaigns(
    desk: &DeskService,
    admin: &Admin,
) -> Result<CampaignsView, ApiError> {
    desk.campaigns_impl(AccountId(admin.account_id))
        .await
        .map_err(internal)
}

pub(super) async fn campaign_list(
    desk: &DeskService,
    admin: &Admin,
) -> Result<Vec<CampaignView>, ApiError> {
    desk.campaign_views(AccountId(admin.account_id))
        .await
        .map_err(internal)
}

pub(super) async fn create_list(
    desk: &DeskService,
    admin: &Admin,
    name: &str,
    addresses: &str,
) -> Result<ListView, ApiError> {
    let (id, members) = desk
        .campaigns
        .create_list(AccountId(admin.account_id), name, addresses, Utc::now())
        .await
        .map_err(campaign_error)?;
    Ok(ListView {
        id,
        name: name.trim().to_string(),
        members: members as i64,
    })
}

pub(super) async fn start_campaign(
    desk: &DeskService,
    admin: &Admin,
    list_id: i64,
    sender_id: i64,
    subject: &str,
    body: &str,
) -> Result<PreparedView, ApiError> {
    let prepared = desk
        .campaigns
        .prepare(
            AccountId(admin.account_id),
            &admin.email,
            list_id,
            sender_id,
            subject,
            body,
            Utc::now(),
        )
        .await
        .map_err(campaign_error)?;
    let runner = desk.campaigns.clone();
    let id = prepared.campaign_id;
    tokio::spawn(async move {
        if let Err(e) = runner.run(id, Utc::now()).await {
            tracing::error!(campaign_id = id, error = ?e, "campaign stopped");
        }
    });
    Ok(PreparedView {
        campaign_id: prepared.campaign_id,
        total: prepared.total as i64,
        skipped_suppressed: prepared.skipped_suppressed as i64,
        queued: prepared.queued as i64,
    })
}

impl DeskService {
    async fn campaign_views(&self, account: AccountId) -> anyhow::Result<Vec<CampaignView>> {
        Ok(self
            .db
            .campaigns(account)
            .await?
            .into_iter()
            .map(|c| CampaignView {
                id: c.id,
                list_name: c.list_name,
                subject: c.subject,
                status: c.status,
                total: c.total,
                skipped_suppressed: c.skipped_suppressed,
                sent: c.sent,
                failed: c.failed,
                created_by: c.created_by,
                created_at: c.created_at,
                finished_at: c.finished_at,
            })
            .collect())
    }

    async fn campaigns_impl(&self, account: AccountId) -> anyhow::Result<CampaignsView> {
        Ok(CampaignsView {
            lists: self
                .db
                .lists(account)
                .await?
                .into_iter()
                .map(|l| ListView {
                    id: l.id,
                    name: l.name,
                    members: l.members,
                })
                .collect(),
            campaigns: self.campaign_views(account).await?,
            senders: self
                .db
                .senders(account)
                .await?
                .into_iter()
                .filter(|s| s.kind == "bulk")
                .map(sender_view)
                .collect(),
        })
    }
}
