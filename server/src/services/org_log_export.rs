//! Org Logging as CSV (RFC 4180): every field quoted when it needs to be, and a field a
//! spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR at its start) prefixed with
//! `'` so opening the file runs nothing a sender or provider wrote.

use crate::storage::deliverability::LogEntry;

/// The header row.
pub const COLUMNS: &[&str] = &["id", "time_utc", "type", "actor", "subject", "details"];

/// One field, escaped.
pub fn field(value: &str) -> String {
    let guarded = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// The entries as a CSV document (CRLF line ends, header first).
pub fn to_csv(entries: &[LogEntry]) -> String {
    let mut out = COLUMNS.join(",");
    out.push_str("\r\n");
    for e in entries {
        let row = [
            e.id.to_string(),
            e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            e.kind.clone(),
            e.actor.clone(),
            e.subject.clone(),
            e.details.to_string(),
        ];
        let fields: Vec<String> = row.iter().map(|f| field(f)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        // (value, as written)
        let cases = [
            ("plain", "plain"),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("", ""),
        ];
        for (value, want) in cases {
            assert_eq!(field(value), want, "{value:?}");
        }
    }

    #[test]
    fn a_log_becomes_rows() {
        let e = LogEntry {
            id: 7,
            account_id: Some(1),
            at: chrono::Utc
                .with_ymd_and_hms(2026, 11, 23, 14, 5, 0)
                .unwrap(),
            kind: "bounce".into(),
            actor: "webhook:postmark".into(),
            subject: "bob@example.com".into(),
            details: serde_json::json!({"reason": "550, no"}),
            event_id: None,
        };
        let csv = to_csv(&[e]);
        assert_eq!(
            csv,
            "id,time_utc,type,actor,subject,details\r\n\
             7,2026-11-23 14:05:00,bounce,webhook:postmark,bob@example.com,\"{\"\"reason\"\":\"\"550, no\"\"}\"\r\n"
        );
    }
}
