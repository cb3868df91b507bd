//! The group-commit writer: one task per ingest service takes whatever payloads are waiting
//! and commits them in one transaction (one fsync), each payload failing alone if it must.

use super::*;
use crate::storage::Savepoint;

/// Payloads committed together at most (one transaction, one fsync).
pub const MAX_GROUP: usize = 256;

/// How long the ingest writer keeps its connection with nothing to write.
const WRITER_IDLE: std::time::Duration = std::time::Duration::from_secs(1);

/// One payload waiting for the group commit.
pub(super) struct Job {
    pub(super) account_id: AccountId,
    pub(super) incoming: Vec<Incoming>,
    pub(super) raw: Vec<u8>,
    pub(super) now: DateTime<Utc>,
    pub(super) reply: tokio::sync::oneshot::Sender<anyhow::Result<IngestReport>>,
}

impl IngestService {
    /// Stores one payload's events through the group committer: concurrent payloads share
    /// one transaction (one fsync), each inside its own savepoint so that one bad payload
    /// fails alone. Returns once the group is committed.
    pub(super) async fn store(
        &self,
        account_id: AccountId,
        incoming: Vec<Incoming>,
        raw: &[u8],
        now: DateTime<Utc>,
    ) -> anyhow::Result<IngestReport> {
        let writer = self
            .writer
            .get_or_init(|| async {
                let (tx, rx) = tokio::sync::mpsc::channel(4 * MAX_GROUP);
                // The writer task gets its own empty cell: no reference cycle keeps it alive
                // once every handle to the service is gone.
                let mut me = self.clone();
                me.writer = Arc::default();
                me.spawn_writer(rx);
                tx
            })
            .await;
        let (reply, answer) = tokio::sync::oneshot::channel();
        writer
            .send(Job {
                account_id,
                incoming,
                raw: raw.to_vec(),
                now,
                reply,
            })
            .await
            .map_err(|_| anyhow::anyhow!("the ingest writer stopped"))?;
        let report = answer
            .await
            .map_err(|_| anyhow::anyhow!("the ingest writer dropped a payload"))??;
        let complaint = report.events.iter().any(|e| {
            e.status == EventStatus::Processed
                && matches!(
                    e.category,
                    Category::SpamComplaintAuto | Category::SpamComplaintManual
                )
        });
        if complaint {
            self.check_complaint_rate(account_id, now).await?;
        }
        Ok(report)
    }

    /// Runs the write loop on a thread of its own (with a one-thread runtime): it spends
    /// its time waiting for SQLite, and each time a statement is done it goes on at once
    /// instead of waiting for a turn on the request workers, who are busy with the next
    /// group's requests. The group's commit cycle is what bounds the ingest rate.
    ///
    /// SQLite only: its connections talk to a thread of their own through channels, whatever
    /// runtime asks. A PostgreSQL connection's socket belongs to the runtime that opened it,
    /// and one opened by this loop would die with it; on PostgreSQL the loop is a task.
    fn spawn_writer(self, rx: tokio::sync::mpsc::Receiver<Job>) {
        if self.db.backend() != crate::storage::Backend::Sqlite {
            tokio::spawn(self.write_loop(rx));
            return;
        }
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => {
                let spawned = std::thread::Builder::new()
                    .name("ingest-writer".into())
                    .spawn(move || runtime.block_on(self.write_loop(rx)));
                if let Err(e) = spawned {
                    // The receiver went with the closure: every payload now fails with "the
                    // ingest writer stopped" (a 500 the provider retries), nothing is lost.
                    tracing::error!(error = %e, "ingest writer thread not started");
                }
            }
            // Without a runtime of its own it works on the request workers.
            Err(e) => {
                tracing::warn!(error = %e, "ingest writer runtime not built; on the workers");
                tokio::spawn(self.write_loop(rx));
            }
        }
    }

    /// Takes whatever payloads are waiting (up to [`MAX_GROUP`]) and commits them together,
    /// always on the same connection while it works: SQLite keeps a connection's page cache
    /// from one of its transactions to the next only if no other connection wrote in between,
    /// so a writer that took any connection of the pool read the indexes' pages afresh for
    /// every group.
    async fn write_loop(self, mut rx: tokio::sync::mpsc::Receiver<Job>) {
        let mut conn: Option<PoolConnection<sqlx::Any>> = None;
        loop {
            // Idle for a second: the connection goes back to the pool (closing the pool waits
            // for every connection to come back).
            let first = match conn {
                Some(_) => match tokio::time::timeout(WRITER_IDLE, rx.recv()).await {
                    Ok(Some(job)) => job,
                    Ok(None) => break,
                    Err(_) => {
                        conn = None;
                        continue;
                    }
                },
                None => match rx.recv().await {
                    Some(job) => job,
                    None => break,
                },
            };
            let mut jobs = vec![first];
            while jobs.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            let results = match &mut conn {
                Some(c) => self.commit_group(c, &jobs).await,
                None => match self.db.pool().acquire().await {
                    Ok(c) => self.commit_group(conn.insert(c), &jobs).await,
                    Err(e) => jobs
                        .iter()
                        .map(|_| Err(anyhow::anyhow!("Failed to reach the database: {e}")))
                        .collect(),
                },
            };
            // A group that failed as a whole may have lost its connection: the next one
            // starts on a new one.
            if results.iter().all(Result::is_err) {
                conn = None;
            }
            for (job, result) in jobs.into_iter().zip(results) {
                let _ = job.reply.send(result);
            }
        }
        // Handing the connection back to the pool is a task on this loop's runtime: let it
        // run before the runtime ends.
        drop(conn);
        tokio::task::yield_now().await;
    }

    /// One transaction for the whole group. Payloads almost never fail, so the group is first
    /// written without savepoints (two statements fewer per payload); if one does fail, the
    /// group is rolled back and written again with a savepoint around each payload, so that
    /// only the bad one fails.
    async fn commit_group(
        &self,
        conn: &mut sqlx::AnyConnection,
        jobs: &[Job],
    ) -> Vec<anyhow::Result<IngestReport>> {
        match self.commit_group_optimistic(conn, jobs).await {
            Ok(reports) => reports.into_iter().map(Ok).collect(),
            Err(e) => {
                tracing::debug!(error = %e, jobs = jobs.len(), "group failed; retrying with savepoints");
                self.commit_group_isolated(conn, jobs).await
            }
        }
    }

    async fn commit_group_optimistic(
        &self,
        conn: &mut sqlx::AnyConnection,
        jobs: &[Job],
    ) -> anyhow::Result<Vec<IngestReport>> {
        let started = std::time::Instant::now();
        let mut tx = conn.begin().await.context("Failed to begin")?;
        let out = self.store_jobs(&mut tx, jobs).await?;
        let written = started.elapsed();
        tx.commit()
            .await
            .context("Failed to commit delivery events")?;
        tracing::debug!(
            payloads = jobs.len(),
            write_us = written.as_micros() as u64,
            commit_us = (started.elapsed() - written).as_micros() as u64,
            "ingest group committed"
        );
        Ok(out)
    }

    async fn commit_group_isolated(
        &self,
        conn: &mut sqlx::AnyConnection,
        jobs: &[Job],
    ) -> Vec<anyhow::Result<IngestReport>> {
        let all_fail = |why: String| {
            jobs.iter()
                .map(|_| Err(anyhow::anyhow!("{why}")))
                .collect::<Vec<_>>()
        };
        let mut tx = match conn.begin().await {
            Ok(tx) => tx,
            Err(e) => return all_fail(format!("Failed to begin: {e}")),
        };
        let mut out = Vec::with_capacity(jobs.len());
        for job in jobs {
            let savepoint = match Savepoint::start(&mut tx, "ingest_job").await {
                Ok(s) => s,
                Err(e) => return all_fail(format!("{e:#}")),
            };
            match self.store_jobs(&mut tx, std::slice::from_ref(job)).await {
                Ok(mut reports) => {
                    let report = reports.pop().unwrap_or_default();
                    if let Err(e) = savepoint.release(&mut tx).await {
                        return all_fail(format!("{e:#}"));
                    }
                    out.push(Ok(report));
                }
                Err(e) => {
                    if let Err(r) = savepoint.undo(&mut tx).await {
                        return all_fail(format!("{e:#}; and undoing it failed: {r:#}"));
                    }
                    out.push(Err(e));
                }
            }
        }
        match tx.commit().await {
            Ok(()) => out,
            Err(e) => all_fail(format!("Failed to commit delivery events: {e}")),
        }
    }
}
