//! Malformed, 8-bit and random input never panics (bounded proptest, part of the normal run).

use proptest::prelude::*;
use server::domain::spam::{AccountModel, BayesModel, ScoreContext, Scorer};
use std::sync::LazyLock;

static SCORER: LazyLock<Scorer> = LazyLock::new(|| Scorer::new(BayesModel::shipped().unwrap()));

const SEED: &[u8] = b"From: \"A\" <a@example.com>\r\nTo: b@example.org\r\nSubject: =?iso-8859-1?q?caf=E9?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"xx\"\r\nAuthentication-Results: mx.example.org; spf=pass smtp.mailfrom=a@example.com; dkim=fail\r\n\r\n--xx\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n--xx\r\nContent-Type: text/html; charset=\"koi8-r\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<a href=3D\"http://1.2.3.4/\">www.bank.example</a><img src=3Dx>\r\n--xx--\r\n";

fn check(raw: &[u8]) {
    let r = SCORER.score(raw, &ScoreContext::default());
    assert!(r.score.points().is_finite());
    let mut acct = AccountModel::new();
    acct.learn(raw, true);
    acct.unlearn(raw, true);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&raw);
    }

    #[test]
    fn mutated_messages_never_panic(
        edits in proptest::collection::vec((0usize..SEED.len(), any::<u8>()), 1..40),
        cut in 0usize..SEED.len(),
    ) {
        let mut raw = SEED.to_vec();
        for (i, b) in edits {
            raw[i] = b;
        }
        check(&raw);
        check(&raw[..cut]);
    }

    #[test]
    fn corrupt_model_bytes_are_an_error_not_a_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
        flip in any::<usize>(),
    ) {
        let _ = BayesModel::from_bytes(&bytes);
        let _ = AccountModel::from_bytes(&bytes);
        let mut model = AccountModel::new();
        model.learn(SEED, false);
        let mut b = model.to_bytes();
        let i = flip % b.len();
        b[i] ^= 0xA5;
        prop_assert!(AccountModel::from_bytes(&b).is_err());
    }
}

#[test]
fn eight_bit_headers_and_bodies_score() {
    let mut raw = b"Subject: \xff\xfe\x80 BIG \xe9\xe9\r\nFrom: \xc3\x28@\xa0\xa1\r\nContent-Type: text/html; charset=gb2312\r\n\r\n".to_vec();
    raw.extend((0..=255u8).cycle().take(10_000));
    check(&raw);
    check(b"");
    check(b"\r\n\r\n");
    check(&vec![b'<'; 100_000]);
    check(
        &[
            b"Content-Type: multipart/mixed; boundary=a\r\n\r\n".as_slice(),
            &b"--a\r\n".repeat(5000),
        ]
        .concat(),
    );
}

#[test]
fn the_shipped_model_loads_and_is_compact() {
    let m = BayesModel::shipped().unwrap();
    assert!(m.spam_messages() > 500 && m.ham_messages() > 1000);
    assert!(server::domain::spam::SHIPPED_MODEL.len() < 1024 * 1024);
}
