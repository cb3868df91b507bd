//! The seeded generator that decides everything, and the customers it makes up.

use super::mail;
use super::run::{CAMPAIGN_COMPLAINER, CUSTOMERS};

/// SplitMix64: small, fast, and the same sequence everywhere for a seed.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(super) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    /// True `percent` times in 100 (tenths allowed: `per_mille`).
    pub(super) fn per_mille(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[derive(Clone)]
pub(super) struct Customer {
    pub(super) email: String,
    pub(super) name: String,
}

pub(super) fn customers(rng: &mut Rng) -> Vec<Customer> {
    let total: u32 = mail::DOMAINS.iter().map(|d| d.1).sum();
    let mut out: Vec<Customer> = vec![Customer {
        email: CAMPAIGN_COMPLAINER.into(),
        name: "Olivia Brown".into(),
    }];
    // Addresses the demo relay refuses (550 unknown user) or defers (452 mailbox full).
    for (local, name) in [
        ("nobody.ines", "Ines Nobody"),
        ("nobody.marco", "Marco Nobody"),
        ("nobody.kenji", "Kenji Nobody"),
        ("full.clara", "Clara Full"),
        ("full.ravi", "Ravi Full"),
    ] {
        out.push(Customer {
            email: format!("{local}@brightmail.example"),
            name: name.into(),
        });
    }
    let mut seen: std::collections::HashSet<String> = out.iter().map(|c| c.email.clone()).collect();
    while out.len() < CUSTOMERS {
        let first = rng.pick(mail::FIRST_NAMES);
        let last = rng.pick(mail::LAST_NAMES);
        let mut w = rng.below(u64::from(total)) as u32;
        let domain = mail::DOMAINS
            .iter()
            .find(|(_, weight)| {
                if w < *weight {
                    true
                } else {
                    w -= weight;
                    false
                }
            })
            .map_or("example.com", |d| d.0);
        let email = match rng.below(3) {
            0 => format!("{first}.{last}@{domain}"),
            1 => format!("{first}{}@{domain}", 1 + rng.below(98)),
            _ => format!("{}.{last}@{domain}", &first[..1]),
        };
        if seen.insert(email.clone()) {
            let cap = |s: &str| {
                let mut c = s.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default()
            };
            out.push(Customer {
                email,
                name: format!("{} {}", cap(first), cap(last)),
            });
        }
    }
    out
}
