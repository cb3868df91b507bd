//! The SNS topic an account's SES notifications must come from (issue 17: an SNS message is
//! taken only from the topic the account set; anyone can publish signed notifications to a
//! topic of their own).
//!
//! An SNS topic ARN is `arn:PARTITION:sns:REGION:ACCOUNT:NAME` (AWS General Reference,
//! "Amazon Resource Names"): the partition `aws`, `aws-cn` or `aws-us-gov`; a region such as
//! `us-east-1`; a 12-digit AWS account id; a topic name of 1 to 256 letters, digits, `-` and
//! `_` (a FIFO topic's name ends in `.fifo`).

use std::fmt;

/// A checked SNS topic ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicArn(String);

impl TopicArn {
    /// Checks what an admin typed (surrounding spaces ignored); the error says what is wrong.
    pub fn parse(input: &str) -> Result<TopicArn, String> {
        let arn = input.trim();
        let bad = |why: &str| {
            Err(format!(
                "{arn:?} is not an SNS topic ARN ({why}): expected \
                 arn:aws:sns:REGION:ACCOUNT:TOPIC, e.g. arn:aws:sns:us-east-1:123456789012:ses-bounces"
            ))
        };
        let parts: Vec<&str> = arn.split(':').collect();
        let [prefix, partition, service, region, account, name] = parts[..] else {
            return bad("six parts separated by ':'");
        };
        if prefix != "arn" {
            return bad("it starts with arn:");
        }
        if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
            return bad("the partition is aws, aws-cn or aws-us-gov");
        }
        if service != "sns" {
            return bad("the service is sns");
        }
        if !is_region(region) {
            return bad("the region is like us-east-1");
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return bad("the AWS account id is 12 digits");
        }
        let base = name.strip_suffix(".fifo").unwrap_or(name);
        if name.is_empty()
            || name.len() > 256
            || base.is_empty()
            || !base
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return bad("the topic name is 1 to 256 letters, digits, - and _");
        }
        Ok(TopicArn(arn.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TopicArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-3`: lower-case words joined by
/// `-`, the last one a number.
fn is_region(region: &str) -> bool {
    let words: Vec<&str> = region.split('-').collect();
    words.len() >= 3
        && words.len() <= 4
        && words[..words.len() - 1]
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        && words
            .last()
            .is_some_and(|n| !n.is_empty() && n.len() <= 2 && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_arns_are_checked_part_by_part() {
        for ok in [
            "arn:aws:sns:us-east-1:123456789012:ses-notifications",
            "  arn:aws:sns:eu-central-2:123456789012:Bounces_2 ",
            "arn:aws-us-gov:sns:us-gov-west-1:123456789012:b",
            "arn:aws-cn:sns:cn-north-1:123456789012:b.fifo",
        ] {
            assert_eq!(
                TopicArn::parse(ok).map(|a| a.to_string()),
                Ok(ok.trim().to_string()),
                "{ok}"
            );
        }
        // (input, what the error names)
        for (bad, why) in [
            ("", "six parts"),
            ("arn:aws:sns:us-east-1:123456789012", "six parts"),
            ("arn:aws:sns:us-east-1:123456789012:a:b", "six parts"),
            ("urn:aws:sns:us-east-1:123456789012:t", "arn:"),
            ("arn:gcp:sns:us-east-1:123456789012:t", "partition"),
            ("arn:aws:sqs:us-east-1:123456789012:t", "service"),
            ("arn:aws:sns:US-EAST-1:123456789012:t", "region"),
            ("arn:aws:sns:useast1:123456789012:t", "region"),
            ("arn:aws:sns:us-east-1:1234:t", "12 digits"),
            ("arn:aws:sns:us-east-1:12345678901x:t", "12 digits"),
            ("arn:aws:sns:us-east-1:123456789012:", "topic name"),
            ("arn:aws:sns:us-east-1:123456789012:a b", "topic name"),
            ("arn:aws:sns:us-east-1:123456789012:.fifo", "topic name"),
            ("arn:aws:sns:us-east-1:123456789012:t<script>", "topic name"),
        ] {
            let e = TopicArn::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        let long = format!("arn:aws:sns:us-east-1:123456789012:{}", "a".repeat(257));
        assert!(TopicArn::parse(&long).is_err());
    }
}
