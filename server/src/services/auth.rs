//! Passwords (argon2id) and session tokens (random, stored only as a SHA-256 hash).
//!
//! Every password check goes through [`check_password`]: at most a few argon2 runs at once
//! (each costs ~19 MiB and tens of milliseconds), and an unknown user is checked against a
//! real hash ([`dummy_hash`]) so the answer takes as long as for a known one.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("Failed to hash a password: {e}"))
}

/// False for a wrong password and for a hash that cannot be read.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A valid argon2id hash (with this build's default parameters) of a random password nobody
/// knows, computed once per process: what an unknown user's password is checked against, so
/// that "no such user" costs the same argon2 run as "wrong password".
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut secret = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut secret);
        hash_password(&hex::encode(secret)).expect("argon2 hashes a random password")
    })
}

/// argon2 runs allowed at once in this process: one per core, at least two.
pub fn argon2_slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .max(2)
}

fn semaphore() -> &'static tokio::sync::Semaphore {
    static SLOTS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| tokio::sync::Semaphore::new(argon2_slots()))
}

static RUNNING: AtomicUsize = AtomicUsize::new(0);
static MOST_RUNNING: AtomicUsize = AtomicUsize::new(0);

/// The most argon2 runs [`check_password`] ever had going at once in this process.
pub fn most_concurrent_checks() -> usize {
    MOST_RUNNING.load(Ordering::Relaxed)
}

/// Checks `password` against `hash` (or, when `hash` is `None`, against [`dummy_hash`] and
/// answers false) on the blocking pool, waiting for one of [`argon2_slots`] first: a flood of
/// sign-in attempts queues instead of taking all memory and CPU.
pub async fn check_password(password: &str, hash: Option<&str>) -> anyhow::Result<bool> {
    let _slot = semaphore()
        .acquire()
        .await
        .map_err(|_| anyhow::anyhow!("password checks are closed"))?;
    let known = hash.is_some();
    let hash = hash.map(str::to_string);
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || {
        let hash = hash.as_deref().unwrap_or_else(|| dummy_hash());
        let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        MOST_RUNNING.fetch_max(now, Ordering::SeqCst);
        let ok = verify_password(&password, hash);
        RUNNING.fetch_sub(1, Ordering::SeqCst);
        ok
    })
    .await
    .map_err(|e| anyhow::anyhow!("password check failed: {e}"))?;
    Ok(ok && known)
}

/// A fresh session token (256 random bits, hex) for the cookie.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database keeps of a token: a stolen database does not yield live sessions.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn the_dummy_hash_is_a_real_argon2id_hash_with_the_default_cost() {
        let dummy = PasswordHash::new(dummy_hash()).expect("the dummy hash parses");
        let real = hash_password("x").unwrap();
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.params, real.params);
        assert!(dummy.hash.is_some());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn an_unknown_user_costs_an_argon2_run_and_runs_are_bounded() {
        let hash = hash_password("pw").unwrap();
        let _ = check_password("warm", None).await; // the dummy is computed once
                                                    // The fastest of a few runs each: other work on a loaded machine only ever adds time.
        let (mut known, mut unknown) = (std::time::Duration::MAX, std::time::Duration::MAX);
        for _ in 0..5 {
            let t = std::time::Instant::now();
            assert!(!check_password("wrong", Some(&hash)).await.unwrap());
            known = known.min(t.elapsed());
            let t = std::time::Instant::now();
            assert!(!check_password("pw", None).await.unwrap());
            unknown = unknown.min(t.elapsed());
        }
        assert!(
            unknown * 2 > known,
            "unknown user {unknown:?} vs wrong password {known:?}"
        );
        assert!(check_password("pw", Some(&hash)).await.unwrap());

        let checks: Vec<_> = (0..argon2_slots() * 3)
            .map(|_| {
                let hash = hash.clone();
                tokio::spawn(async move { check_password("wrong", Some(&hash)).await })
            })
            .collect();
        for c in checks {
            assert!(!c.await.unwrap().unwrap());
        }
        assert!(most_concurrent_checks() >= 1);
        assert!(
            most_concurrent_checks() <= argon2_slots(),
            "{} argon2 runs at once",
            most_concurrent_checks()
        );
    }

    #[test]
    fn tokens_are_unique_and_hashed_consistently() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
    }
}
