//! PRIZE_CLAIM: the message says the reader has won or is owed something to collect —
//! free spins, a bonus without deposit, a voucher, an airdrop, a lottery win ("Sie haben
//! gewonnen", "rodadas grátis"). Advance-fee and prize scams have told this story since
//! the 1990s; honest mail rarely stacks several of these words. Distinct phrases are
//! counted in the Subject and the visible text, in English, German, French, Spanish,
//! Portuguese and Dutch.

use super::super::message::MailView;
use super::super::score::RuleHit;
use super::phrase_family::{PhraseCounts, PhraseFamily};

pub const NAME: &str = "PRIZE_CLAIM";
pub const POINTS: f64 = 2.0;
pub const NAME_MANY: &str = "PRIZE_CLAIM_MANY";
pub const POINTS_MANY: f64 = 3.0;

const PHRASES: &[&str] = &[
    "free spins",
    "no deposit",
    "jackpot",
    "casino",
    "you have won",
    "you've won",
    "you are a winner",
    "welcome bonus",
    "claim your",
    "claim now",
    "lottery",
    "airdrop",
    "gift card",
    "reward is waiting",
    "your reward",
    "congratulations",
    "freispiele",
    "ohne einzahlung",
    "sie haben gewonnen",
    "gewinnspiel",
    "willkommensbonus",
    "gutschein",
    "belohnung",
    "glückwunsch",
    "gewinner",
    "giros grátis",
    "rodadas grátis",
    "prêmio",
    "resgate",
    "sorteio",
    "parabéns",
    "ganhador",
    "félicitations",
    "vous avez gagné",
    "gagnant",
    "tiradas gratis",
    "has ganado",
    "premio",
    "gefeliciteerd",
    "gratis spins",
];

pub(super) static FAMILY: PhraseFamily = PhraseFamily::new(
    "phrases about a prize, bonus or win to claim",
    PHRASES,
    &[(3, POINTS_MANY, NAME_MANY), (2, POINTS, NAME)],
);

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    check_counted(&super::phrase_counts(v), hits);
}

/// [`check`] with the phrase families already counted.
pub(super) fn check_counted(counts: &PhraseCounts, hits: &mut Vec<RuleHit>) {
    FAMILY.hit(counts.of(&FAMILY), hits);
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    #[test]
    fn a_prize_to_claim_is_a_hit() {
        let raw = "Subject: Sie haben gewonnen!\r\n\r\n500 Freispiele ohne Einzahlung warten.";
        assert_eq!(hit_names(raw, check), [NAME_MANY]);
        let raw = "Subject: Congratulations\r\n\r\nClaim your gift card today.";
        assert_eq!(hit_names(raw, check), [NAME_MANY]);
        let raw = "Subject: News\r\n\r\nCongratulations, claim your seat.";
        assert_eq!(hit_names(raw, check), [NAME]);
    }

    #[test]
    fn one_word_is_fine() {
        let raw = "Subject: Re: release\r\n\r\nCongratulations on the release!";
        assert!(hit_names(raw, check).is_empty());
    }
}
