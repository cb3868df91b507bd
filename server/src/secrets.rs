//! Secrets at rest: relay passwords and API tokens are stored sealed with XChaCha20-Poly1305
//! (RustCrypto's `chacha20poly1305`) under a 256-bit key the database never sees.
//!
//! A sealed value reads `enc:v1:<key id>:<base64 of nonce ‖ ciphertext>`; the key id is the
//! first 8 hex digits of the key's SHA-256, so a value sealed under an older key is recognised
//! and, with that key given as `SECRETS_KEY_OLD`, opened and sealed again under the current one
//! ([`crate::storage::Db::seal_secrets`], at start). Values without the prefix were stored
//! before encryption: read as they are, and sealed at start.
//!
//! The key: `SECRETS_KEY` (64 hex digits or base64 of 32 bytes), else a key file (created with
//! mode 0600 on first start).

use crate::config::SecretsConfig;
use anyhow::{bail, Context};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;

const PREFIX: &str = "enc:v1:";

struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl Key {
    fn new(bytes: &[u8; 32]) -> Key {
        Key {
            id: hex::encode(&Sha256::digest(bytes)[..4]),
            cipher: XChaCha20Poly1305::new(bytes.into()),
        }
    }
}

/// Seals and opens stored secrets; `purpose` (the column) is bound to each value, so a sealed
/// password cannot be passed off as a token.
pub struct SecretBox {
    current: Key,
    old: Vec<Key>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox")
            .field("key_id", &self.current.id)
            .finish_non_exhaustive()
    }
}

impl SecretBox {
    pub fn new(key: &[u8; 32]) -> Self {
        SecretBox {
            current: Key::new(key),
            old: Vec::new(),
        }
    }

    /// Also opens values sealed under `key` (a rotation in progress).
    pub fn with_old_key(mut self, key: &[u8; 32]) -> Self {
        self.old.push(Key::new(key));
        self
    }

    /// The current key's id (as written in sealed values).
    pub fn key_id(&self) -> &str {
        &self.current.id
    }

    pub fn seal(&self, purpose: &str, plaintext: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .current
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: purpose.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 seals any length we store");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!(
            "{PREFIX}{}:{}",
            self.current.id,
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    }

    /// The plaintext of a stored value: a sealed one opened, an old plaintext one as it is.
    pub fn open(&self, purpose: &str, stored: &str) -> anyhow::Result<String> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_string());
        };
        let (id, body) = rest
            .split_once(':')
            .context("a sealed secret without key id")?;
        let Some(key) = std::iter::once(&self.current)
            .chain(&self.old)
            .find(|k| k.id == id)
        else {
            bail!(
                "a secret is sealed under key {id}, which is neither SECRETS_KEY ({}) nor \
                 SECRETS_KEY_OLD",
                self.current.id
            );
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body)
            .context("a sealed secret that is not base64")?;
        let Some((nonce, sealed)) = bytes.split_first_chunk::<24>() else {
            bail!("a sealed secret too short to open");
        };
        let plain = key
            .cipher
            .decrypt(
                &XNonce::from(*nonce),
                Payload {
                    msg: sealed,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("a sealed secret failed its integrity check"))?;
        String::from_utf8(plain).context("a sealed secret that is not UTF-8")
    }

    /// Plaintext, or sealed under another key than the current one.
    pub fn needs_sealing(&self, stored: &str) -> bool {
        match stored.strip_prefix(PREFIX).and_then(|r| r.split_once(':')) {
            Some((id, _)) => id != self.current.id,
            None => true,
        }
    }

    /// From the configured key (`SECRETS_KEY`, and `SECRETS_KEY_OLD` while rotating), else
    /// from the key file, created with a new random key (mode 0600) if missing.
    pub fn from_config(config: &SecretsConfig) -> anyhow::Result<SecretBox> {
        let current = match given(&config.key) {
            Some(v) => parse_key(v).context("SECRETS_KEY")?,
            None => load_or_create_key_file(&config.key_file)?,
        };
        let mut secrets = SecretBox::new(&current);
        if let Some(v) = given(&config.old_key) {
            secrets = secrets.with_old_key(&parse_key(v).context("SECRETS_KEY_OLD")?);
        }
        Ok(secrets)
    }
}

impl SecretBox {
    /// For the CLI: the configured key, else the key file's when it exists; `None` when
    /// neither is there (values are then stored as given, and the server seals them at its
    /// next start). Never creates a key file: a CLI run from another directory must not make
    /// a key the server does not have.
    pub fn from_config_if_any(config: &SecretsConfig) -> anyhow::Result<Option<SecretBox>> {
        if given(&config.key).is_some() || config.key_file.exists() {
            SecretBox::from_config(config).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// A key setting that is set and not blank.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// 64 hex digits, or base64 (standard or URL-safe) of 32 bytes.
pub fn parse_key(text: &str) -> anyhow::Result<[u8; 32]> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text)?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text))
            .context("a key is 64 hex digits or base64 of 32 bytes")?
    };
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| anyhow::anyhow!("a key is 32 bytes, this one is {}", b.len()))
}

/// A fresh key, as 64 hex digits.
pub fn new_key_hex() -> String {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    hex::encode(key)
}

/// Reads the key in `path`, or writes a new one there (readable by this user only).
pub fn load_or_create_key_file(path: &Path) -> anyhow::Result<[u8; 32]> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path)?.permissions().mode();
                if mode & 0o077 != 0 {
                    tracing::warn!(
                        path = %path.display(),
                        mode = format!("{:o}", mode & 0o777),
                        "the secrets key file is readable by others; chmod 600 it"
                    );
                }
            }
            parse_key(&text).with_context(|| format!("the key in {}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("Failed to create {}", dir.display()))?;
            }
            let key = new_key_hex();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            use std::io::Write;
            let mut file = options
                .open(path)
                .with_context(|| format!("Failed to create the key file {}", path.display()))?;
            file.write_all(format!("{key}\n").as_bytes())?;
            file.sync_all()?;
            tracing::info!(path = %path.display(), "created a new secrets key file");
            parse_key(&key)
        }
        Err(e) => Err(e).with_context(|| format!("Failed to read {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_under_its_key_and_purpose() {
        let b = SecretBox::new(&[7; 32]);
        let sealed = b.seal("smtp_password", "hunter2");
        assert!(sealed.starts_with("enc:v1:"));
        assert!(!sealed.contains("hunter2"));
        assert_ne!(
            sealed,
            b.seal("smtp_password", "hunter2"),
            "fresh nonce each time"
        );
        assert_eq!(b.open("smtp_password", &sealed).unwrap(), "hunter2");
        assert!(b.open("api_token", &sealed).is_err());
        assert!(SecretBox::new(&[8; 32])
            .open("smtp_password", &sealed)
            .is_err());
        let mut tampered = sealed.clone();
        tampered.insert(sealed.len() - 3, 'A');
        assert!(b.open("smtp_password", &tampered).is_err());
        // Shorter than a nonce (or exactly one, with no tag): an error, never a panic.
        for len in [0, 10, 23, 24] {
            let short = format!(
                "{PREFIX}{}:{}",
                b.key_id(),
                base64::engine::general_purpose::STANDARD.encode(vec![1u8; len])
            );
            let err = b.open("smtp_password", &short).unwrap_err().to_string();
            let want = if len < 24 { "too short" } else { "integrity" };
            assert!(err.contains(want), "{len}: {err}");
        }
        // Stored before encryption: read as is, and due for sealing.
        assert_eq!(b.open("smtp_password", "plain").unwrap(), "plain");
        assert!(b.needs_sealing("plain"));
        assert!(!b.needs_sealing(&sealed));
    }

    #[test]
    fn an_old_key_opens_until_values_are_sealed_again() {
        let old = SecretBox::new(&[1; 32]);
        let sealed = old.seal("api_token", "tok");
        let rotated = SecretBox::new(&[2; 32]).with_old_key(&[1; 32]);
        assert!(rotated.needs_sealing(&sealed));
        assert_eq!(rotated.open("api_token", &sealed).unwrap(), "tok");
    }

    #[test]
    fn keys_parse_from_hex_or_base64_and_files_are_private() {
        let hex_key = new_key_hex();
        assert_eq!(parse_key(&hex_key).unwrap().len(), 32);
        let b64 = base64::engine::general_purpose::STANDARD.encode([3u8; 32]);
        assert_eq!(parse_key(&b64).unwrap(), [3u8; 32]);
        assert!(parse_key("short").is_err());

        let dir = std::env::temp_dir().join(format!("dd-key-{}", std::process::id()));
        let path = dir.join("secrets.key");
        let _ = std::fs::remove_file(&path);
        let first = load_or_create_key_file(&path).unwrap();
        assert_eq!(load_or_create_key_file(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
