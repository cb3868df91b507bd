//! The statistical token classifier: Robinson's per-token probabilities combined with
//! Fisher's chi-square method (as in SpamBayes and bogofilter), giving a spam probability
//! in 0..=1 that the scorer reports as a `BAYES_xx` band.
//!
//! Two models: the shipped [`BayesModel`] (frozen, compact, trained on the development
//! corpus) and a per-account [`AccountModel`] overlay trained from agents' "spam" /
//! "not spam" flags. The overlay's counts are added to the base counts, each flag weighing
//! [`ACCOUNT_WEIGHT`] corpus messages so a deployment adapts quickly to its own mail.
//!
//! File format (both models, little-endian): 8-byte magic, `u8` version, `u32` spam messages,
//! `u32` ham messages, `u32` token count, then per token in ascending hash order a LEB128
//! varint of the hash delta and varints of its spam and ham counts, then a `u32` FNV-1a
//! checksum of everything before it.

use super::message::MailView;
use super::tokenizer::{self, TokenHash};
use std::collections::HashMap;

const BASE_MAGIC: &[u8; 8] = b"DDSPAMB\0";
const ACCOUNT_MAGIC: &[u8; 8] = b"DDSPAMA\0";
const VERSION: u8 = 1;

/// One agent flag counts as this many corpus messages.
pub const ACCOUNT_WEIGHT: u64 = 3;
/// Robinson's strength of the 0.5 prior for rarely seen tokens (SpamBayes' default).
const PRIOR_STRENGTH: f64 = 0.45;
const PRIOR: f64 = 0.5;
/// Tokens whose probability is closer to 0.5 than this are not clues.
const MIN_STRENGTH: f64 = 0.1;
/// At most this many strongest clues are combined.
const MAX_CLUES: usize = 150;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("not a Deliverdesk spam model (bad magic header)")]
    BadMagic,
    #[error("spam model version {0} is not supported (expected {VERSION})")]
    UnsupportedVersion(u8),
    #[error("spam model file is truncated")]
    Truncated,
    #[error("spam model file is corrupt: {0}")]
    Corrupt(&'static str),
}

/// Token counts: in how many spam and ham messages each token appeared.
#[derive(Debug, Clone, Default, PartialEq)]
struct Counts {
    spam_messages: u32,
    ham_messages: u32,
    tokens: HashMap<TokenHash, (u32, u32)>,
}

impl Counts {
    fn add(&mut self, tokens: &[TokenHash], is_spam: bool) {
        if is_spam {
            self.spam_messages = self.spam_messages.saturating_add(1);
        } else {
            self.ham_messages = self.ham_messages.saturating_add(1);
        }
        for t in tokens {
            let e = self.tokens.entry(*t).or_default();
            if is_spam {
                e.0 = e.0.saturating_add(1);
            } else {
                e.1 = e.1.saturating_add(1);
            }
        }
    }

    fn remove(&mut self, tokens: &[TokenHash], is_spam: bool) {
        let n = if is_spam {
            &mut self.spam_messages
        } else {
            &mut self.ham_messages
        };
        if *n == 0 {
            return;
        }
        *n -= 1;
        for t in tokens {
            if let Some(e) = self.tokens.get_mut(t) {
                if is_spam {
                    e.0 = e.0.saturating_sub(1);
                } else {
                    e.1 = e.1.saturating_sub(1);
                }
                if *e == (0, 0) {
                    self.tokens.remove(t);
                }
            }
        }
    }

    fn sorted(&self) -> Vec<(TokenHash, u32, u32)> {
        let mut v: Vec<_> = self.tokens.iter().map(|(h, (s, m))| (*h, *s, *m)).collect();
        v.sort_unstable_by_key(|e| e.0);
        v
    }
}

/// Token hashes are already uniformly spread; one multiply moves their bits to the top too,
/// where the hash table reads its control bits.
#[derive(Default, Clone, Copy)]
struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = n as u64;
    }
}

type TokenIndex = HashMap<TokenHash, u32, std::hash::BuildHasherDefault<IdentityHasher>>;

/// The shipped, frozen model: sorted token hashes with their counts, and an index for
/// constant-time look-ups.
#[derive(Debug, Clone, Default)]
pub struct BayesModel {
    spam_messages: u32,
    ham_messages: u32,
    hashes: Vec<TokenHash>,
    counts: Vec<(u32, u32)>,
    index: TokenIndex,
}

impl PartialEq for BayesModel {
    fn eq(&self, other: &Self) -> bool {
        (
            self.spam_messages,
            self.ham_messages,
            &self.hashes,
            &self.counts,
        ) == (
            other.spam_messages,
            other.ham_messages,
            &other.hashes,
            &other.counts,
        )
    }
}

fn build_index(hashes: &[TokenHash]) -> TokenIndex {
    let mut index = TokenIndex::with_capacity_and_hasher(hashes.len(), Default::default());
    for (i, h) in hashes.iter().enumerate() {
        index.insert(*h, i as u32);
    }
    index
}

/// Builds a [`BayesModel`] from labelled messages (used by `deliverdesk train-spam`).
#[derive(Debug, Default)]
pub struct BayesTrainer {
    counts: Counts,
}

impl BayesTrainer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn learn(&mut self, raw: &[u8], is_spam: bool) {
        let tokens = tokenizer::tokens(&MailView::parse(raw));
        self.counts.add(&tokens, is_spam);
    }

    /// Freezes the counts, dropping tokens seen in fewer than `min_messages` messages (rare
    /// tokens are most of a vocabulary and the least reliable clues).
    pub fn build(&self, min_messages: u32) -> BayesModel {
        let mut hashes = Vec::new();
        let mut counts = Vec::new();
        for (h, s, m) in self.counts.sorted() {
            if s + m >= min_messages {
                hashes.push(h);
                counts.push((s, m));
            }
        }
        BayesModel {
            spam_messages: self.counts.spam_messages,
            ham_messages: self.counts.ham_messages,
            index: build_index(&hashes),
            hashes,
            counts,
        }
    }
}

impl BayesModel {
    /// A model that knows nothing: it never contributes a `BAYES_xx` hit.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The model shipped in `assets/spam-model.bin`.
    pub fn shipped() -> Result<Self, ModelError> {
        Self::from_bytes(super::SHIPPED_MODEL)
    }

    pub fn spam_messages(&self) -> u32 {
        self.spam_messages
    }

    pub fn ham_messages(&self) -> u32 {
        self.ham_messages
    }

    pub fn token_count(&self) -> usize {
        self.hashes.len()
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, ModelError> {
        let (spam_messages, ham_messages, entries) = decode(b, BASE_MAGIC)?;
        let (hashes, counts): (Vec<_>, Vec<_>) =
            entries.into_iter().map(|(h, s, m)| (h, (s, m))).unzip();
        Ok(BayesModel {
            spam_messages,
            ham_messages,
            index: build_index(&hashes),
            hashes,
            counts,
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let entries: Vec<_> = self
            .hashes
            .iter()
            .zip(&self.counts)
            .map(|(h, (s, m))| (*h, *s, *m))
            .collect();
        encode(BASE_MAGIC, self.spam_messages, self.ham_messages, &entries)
    }

    fn lookup(&self, token: TokenHash) -> (u32, u32) {
        match self.index.get(&token) {
            Some(&i) => self.counts[i as usize],
            None => (0, 0),
        }
    }

    /// Spam probability of a message's tokens (sorted, unique), or `None` while the models
    /// have not seen both spam and ham.
    pub fn spam_probability(
        &self,
        tokens: &[TokenHash],
        account: Option<&AccountModel>,
    ) -> Option<f64> {
        let w = if account.is_some() { ACCOUNT_WEIGHT } else { 0 };
        let acct = |t: TokenHash| {
            account
                .and_then(|a| a.counts.tokens.get(&t).copied())
                .unwrap_or((0, 0))
        };
        let (acct_spam, acct_ham) = account
            .map(|a| (a.counts.spam_messages, a.counts.ham_messages))
            .unwrap_or((0, 0));
        let nspam = self.spam_messages as u64 + w * acct_spam as u64;
        let nham = self.ham_messages as u64 + w * acct_ham as u64;
        if nspam == 0 || nham == 0 {
            return None;
        }
        let mut clues: Vec<f64> = Vec::with_capacity(tokens.len().min(512));
        for &t in tokens {
            let (bs, bh) = self.lookup(t);
            let (as_, ah) = acct(t);
            let s = bs as u64 + w * as_ as u64;
            let h = bh as u64 + w * ah as u64;
            if s + h == 0 {
                continue;
            }
            let spam_ratio = s as f64 / nspam as f64;
            let ham_ratio = h as f64 / nham as f64;
            let p = spam_ratio / (spam_ratio + ham_ratio);
            // Robinson: shrink towards 0.5 by how little evidence there is. Weighted counts
            // are scaled back to messages so one flag is not "more evidence" than it is.
            let n = (s + h) as f64
                / if w > 0 && (as_ + ah) > 0 {
                    w as f64
                } else {
                    1.0
                };
            let f = (PRIOR_STRENGTH * PRIOR + n * p) / (PRIOR_STRENGTH + n);
            if (f - 0.5).abs() >= MIN_STRENGTH {
                clues.push(f);
            }
        }
        Some(chi2_combine(&mut clues))
    }
}

/// Fisher/Robinson chi-square combining (SpamBayes' `chi2_spamprob`): how unlike ham and
/// how unlike spam the clues are, folded into one probability; 0.5 when there are none.
fn chi2_combine(clues: &mut Vec<f64>) -> f64 {
    if clues.is_empty() {
        return 0.5;
    }
    if clues.len() > MAX_CLUES {
        clues.sort_unstable_by(|a, b| (b - 0.5).abs().total_cmp(&(a - 0.5).abs()));
        clues.truncate(MAX_CLUES);
    }
    let (mut ln_ham, mut ln_spam) = (0.0f64, 0.0f64);
    for &f in clues.iter() {
        let f = f.clamp(1e-6, 1.0 - 1e-6);
        ln_ham += f.ln();
        ln_spam += (1.0 - f).ln();
    }
    let n = clues.len();
    let s = 1.0 - chi2_q(-2.0 * ln_spam, 2 * n);
    let h = 1.0 - chi2_q(-2.0 * ln_ham, 2 * n);
    ((s - h + 1.0) / 2.0).clamp(0.0, 1.0)
}

/// P(chi² ≥ x2) for an even number of degrees of freedom `v`.
fn chi2_q(x2: f64, v: usize) -> f64 {
    let m = x2 / 2.0;
    let mut term = (-m).exp();
    let mut sum = term;
    for i in 1..v / 2 {
        term *= m / i as f64;
        sum += term;
    }
    sum.min(1.0)
}

/// A per-account overlay learned from agents' flags; small, mutable, stored by the server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountModel {
    counts: Counts,
}

impl AccountModel {
    pub fn new() -> Self {
        Self::default()
    }

    /// An agent marked `raw` as spam (`is_spam`) or not spam.
    pub fn learn(&mut self, raw: &[u8], is_spam: bool) {
        let tokens = tokenizer::tokens(&MailView::parse(raw));
        self.counts.add(&tokens, is_spam);
    }

    /// Undoes an earlier [`learn`](Self::learn) of the same message and label (an agent
    /// changed their mind). Unknown tokens are ignored; counts never go below zero.
    pub fn unlearn(&mut self, raw: &[u8], is_spam: bool) {
        let tokens = tokenizer::tokens(&MailView::parse(raw));
        self.counts.remove(&tokens, is_spam);
    }

    pub fn spam_messages(&self) -> u32 {
        self.counts.spam_messages
    }

    pub fn ham_messages(&self) -> u32 {
        self.counts.ham_messages
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, ModelError> {
        let (spam_messages, ham_messages, entries) = decode(b, ACCOUNT_MAGIC)?;
        let tokens = entries.into_iter().map(|(h, s, m)| (h, (s, m))).collect();
        Ok(AccountModel {
            counts: Counts {
                spam_messages,
                ham_messages,
                tokens,
            },
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        encode(
            ACCOUNT_MAGIC,
            self.counts.spam_messages,
            self.counts.ham_messages,
            &self.counts.sorted(),
        )
    }
}

fn fnv32(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn encode(magic: &[u8; 8], spam: u32, ham: u32, entries: &[(TokenHash, u32, u32)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(21 + entries.len() * 5);
    out.extend_from_slice(magic);
    out.push(VERSION);
    out.extend_from_slice(&spam.to_le_bytes());
    out.extend_from_slice(&ham.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    let mut prev = 0u32;
    for (i, (h, s, m)) in entries.iter().enumerate() {
        put_varint(&mut out, if i == 0 { *h } else { h - prev });
        put_varint(&mut out, *s);
        put_varint(&mut out, *m);
        prev = *h;
    }
    let sum = fnv32(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn u32(&mut self) -> Result<u32, ModelError> {
        let bytes = self
            .b
            .get(self.pos..self.pos + 4)
            .ok_or(ModelError::Truncated)?;
        self.pos += 4;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn varint(&mut self) -> Result<u32, ModelError> {
        let mut v: u64 = 0;
        for shift in (0..35).step_by(7) {
            let byte = *self.b.get(self.pos).ok_or(ModelError::Truncated)?;
            self.pos += 1;
            v |= ((byte & 0x7f) as u64) << shift;
            if byte & 0x80 == 0 {
                return u32::try_from(v).map_err(|_| ModelError::Corrupt("number out of range"));
            }
        }
        Err(ModelError::Corrupt("number too long"))
    }
}

type Decoded = (u32, u32, Vec<(TokenHash, u32, u32)>);

fn decode(b: &[u8], magic: &[u8; 8]) -> Result<Decoded, ModelError> {
    if b.len() < 8 || &b[..8] != magic {
        return Err(ModelError::BadMagic);
    }
    let version = *b.get(8).ok_or(ModelError::Truncated)?;
    if version != VERSION {
        return Err(ModelError::UnsupportedVersion(version));
    }
    if b.len() < 8 + 1 + 12 + 4 {
        return Err(ModelError::Truncated);
    }
    let (body, sum) = b.split_at(b.len() - 4);
    if fnv32(body) != u32::from_le_bytes([sum[0], sum[1], sum[2], sum[3]]) {
        return Err(ModelError::Corrupt("checksum mismatch"));
    }
    let mut r = Reader { b: body, pos: 9 };
    let spam = r.u32()?;
    let ham = r.u32()?;
    let n = r.u32()? as usize;
    // Each entry takes at least 3 bytes: refuse counts the file cannot hold before allocating.
    if n > (body.len() - r.pos) / 3 {
        return Err(ModelError::Corrupt("token count larger than the file"));
    }
    let mut entries = Vec::with_capacity(n);
    let mut prev: u32 = 0;
    for i in 0..n {
        let delta = r.varint()?;
        let h = if i == 0 {
            delta
        } else {
            if delta == 0 {
                return Err(ModelError::Corrupt("tokens not in ascending order"));
            }
            prev.checked_add(delta)
                .ok_or(ModelError::Corrupt("token hash out of range"))?
        };
        let s = r.varint()?;
        let m = r.varint()?;
        if s > spam || m > ham {
            return Err(ModelError::Corrupt(
                "token seen in more messages than trained",
            ));
        }
        entries.push((h, s, m));
        prev = h;
    }
    if r.pos != body.len() {
        return Err(ModelError::Corrupt("trailing bytes"));
    }
    Ok((spam, ham, entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPAMMY: &str = "Subject: MAKE MONEY FAST\r\n\r\nearn cash now guaranteed income";
    const HAMMY: &str = "Subject: build failure\r\n\r\nthe patch breaks the kernel module build";

    fn trained() -> BayesModel {
        let mut t = BayesTrainer::new();
        for _ in 0..5 {
            t.learn(SPAMMY.as_bytes(), true);
            t.learn(HAMMY.as_bytes(), false);
        }
        t.build(1)
    }

    fn prob(model: &BayesModel, raw: &str, acct: Option<&AccountModel>) -> f64 {
        let tokens = tokenizer::tokens(&MailView::parse(raw.as_bytes()));
        model.spam_probability(&tokens, acct).unwrap()
    }

    #[test]
    fn trained_model_separates_spam_from_ham() {
        let m = trained();
        assert!(prob(&m, "Subject: cash\r\n\r\nearn guaranteed income now", None) > 0.9);
        assert!(prob(&m, "Subject: kernel\r\n\r\nthe module build patch", None) < 0.1);
    }

    #[test]
    fn untrained_model_gives_no_probability() {
        assert_eq!(BayesModel::empty().spam_probability(&[1, 2, 3], None), None);
    }

    #[test]
    fn unknown_tokens_give_one_half() {
        assert_eq!(prob(&trained(), "Subject: zzz\r\n\r\nqqq xxx", None), 0.5);
    }

    #[test]
    fn model_round_trips_through_bytes() {
        let m = trained();
        let back = BayesModel::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(back, m);
        assert!(m.token_count() > 5);
    }

    #[test]
    fn corrupt_model_files_are_rejected_not_panicked_on() {
        let bytes = trained().to_bytes();
        assert_eq!(BayesModel::from_bytes(b""), Err(ModelError::BadMagic));
        assert_eq!(
            BayesModel::from_bytes(b"GIF89a.."),
            Err(ModelError::BadMagic)
        );
        let mut v = bytes.clone();
        v[8] = 9;
        assert_eq!(
            BayesModel::from_bytes(&v),
            Err(ModelError::UnsupportedVersion(9))
        );
        for cut in 0..bytes.len() {
            assert!(BayesModel::from_bytes(&bytes[..cut]).is_err());
        }
        for i in 9..bytes.len() {
            let mut v = bytes.clone();
            v[i] ^= 0x55;
            assert!(BayesModel::from_bytes(&v).is_err(), "flipped byte {i}");
        }
        // An account overlay is not a base model.
        assert_eq!(
            BayesModel::from_bytes(&AccountModel::new().to_bytes()),
            Err(ModelError::BadMagic)
        );
    }

    #[test]
    fn agent_flags_move_the_account_overlay_and_unlearn_undoes_them() {
        let m = trained();
        let msg = "Subject: weekly newsletter\r\n\r\nour gardening club newsletter tulips";
        assert_eq!(prob(&m, msg, None), 0.5);
        let mut acct = AccountModel::new();
        acct.learn(msg.as_bytes(), true);
        assert!(prob(&m, msg, Some(&acct)) > 0.9);
        let restored = AccountModel::from_bytes(&acct.to_bytes()).unwrap();
        assert_eq!(restored, acct);
        acct.unlearn(msg.as_bytes(), true);
        assert_eq!(acct, AccountModel::new());
        assert_eq!(prob(&m, msg, Some(&acct)), 0.5);
    }

    #[test]
    fn chi2_q_matches_known_values() {
        // With 2 degrees of freedom Q(x) = exp(-x/2).
        assert!((chi2_q(2.0, 2) - (-1.0f64).exp()).abs() < 1e-12);
        assert_eq!(chi2_q(0.0, 10), 1.0);
    }
}
