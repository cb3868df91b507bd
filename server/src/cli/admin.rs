//! Setting up a real deployment without the demo data: accounts, users, inbound addresses and
//! webhook credentials. Generated secrets are printed once and stored hashed.

use crate::domain::address::EmailAddress;
use crate::domain::suppression::AccountId;
use crate::services::auth;
use crate::storage::Db;
use anyhow::Context;
use app::models::Role;
use chrono::Utc;
use std::io::Write;

/// Creates an account with its first admin; prints the admin's generated password.
pub async fn create_account(
    db: &Db,
    name: &str,
    admin_email: &str,
    inbound: Option<&str>,
    out: &mut impl Write,
) -> anyhow::Result<i64> {
    let name = name.trim();
    anyhow::ensure!(!name.is_empty(), "the account needs a name");
    let email = EmailAddress::parse(admin_email).context("the admin's email")?;
    let now = Utc::now();
    let account = db.create_account(name, now).await?;
    let password = auth::new_token()[..20].to_string();
    db.create_user(
        AccountId(account),
        email.as_str(),
        &format!("{name} Admin"),
        Role::Admin,
        &auth::hash_password(&password)?,
        now,
    )
    .await
    .context("Failed to create the admin (is the email already in use?)")?;
    if let Some(inbound) = inbound {
        let address = EmailAddress::parse(inbound).context("the inbound address")?;
        db.add_inbound_address(AccountId(account), address.as_str(), now)
            .await?;
    }
    writeln!(out, "account {account} {name:?} created")?;
    writeln!(out, "admin login: {} / {password}", email.as_str())?;
    Ok(account)
}

/// Adds a user to an account; prints the generated password.
pub async fn add_user(
    db: &Db,
    account: AccountId,
    email: &str,
    role: Role,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let email = EmailAddress::parse(email).context("the user's email")?;
    let password = auth::new_token()[..20].to_string();
    db.create_user(
        account,
        email.as_str(),
        email.local_part(),
        role,
        &auth::hash_password(&password)?,
        Utc::now(),
    )
    .await
    .context("Failed to create the user (unknown account, or the email is in use?)")?;
    writeln!(
        out,
        "{} login: {} / {password}",
        role.as_str(),
        email.as_str()
    )?;
    Ok(())
}

/// Creates a webhook credential (HTTP Basic) for an account; prints the generated secret.
pub async fn webhook_credential(
    db: &Db,
    account: AccountId,
    username: &str,
    mailgun_signing_key: Option<&str>,
    sendgrid_public_key: Option<&str>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let username = username.trim();
    anyhow::ensure!(
        !username.is_empty() && !username.contains(':'),
        "the username must be non-empty and without ':'"
    );
    let secret = auth::new_token();
    db.create_webhook_credential(
        account,
        username,
        &auth::hash_password(&secret)?,
        mailgun_signing_key,
        sendgrid_public_key,
        Utc::now(),
    )
    .await
    .context("Failed to create the credential (unknown account, or the username is taken?)")?;
    writeln!(
        out,
        "webhook credential for account {}: {username}:{secret}",
        account.0
    )?;
    writeln!(out, "e.g. curl -u {username}:{secret} … /webhooks/postmark")?;
    Ok(())
}

/// Sets the SNS topic whose SES notifications the credential `username` takes.
pub async fn sns_topic(
    db: &Db,
    username: &str,
    arn: &str,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let arn =
        crate::domain::bounce::esp::sns_topic::TopicArn::parse(arn).map_err(anyhow::Error::msg)?;
    let arn = arn.as_str();
    anyhow::ensure!(
        db.set_sns_topic_arn(username.trim(), Some(arn)).await?,
        "no webhook credential named {username:?}"
    );
    writeln!(
        out,
        "SES notifications for {username} are taken from {arn} only"
    )?;
    Ok(())
}
