//! SMTP replies (RFC 5321 §4.2) with RFC 3463 enhanced status codes, and the stock ones the
//! session sends.

use std::fmt;

/// An SMTP reply: code, optional RFC 3463 enhanced status, text.
///
/// A `text` with several lines goes out as a multi-line reply (`250-...` lines, then `250 ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub enhanced: Option<String>,
    pub text: String,
}

impl Reply {
    /// A reply with the given code, enhanced status code (e.g. `"5.1.1"`) and text.
    pub fn new(code: u16, enhanced: Option<&str>, text: impl Into<String>) -> Self {
        Self {
            code,
            enhanced: enhanced.map(str::to_owned),
            text: text.into(),
        }
    }

    /// `250 2.0.0 OK`.
    pub fn ok() -> Self {
        Self::new(250, Some("2.0.0"), "OK")
    }

    /// Whether the reply is a positive one (2xx or 3xx).
    pub fn is_positive(&self) -> bool {
        self.code < 400
    }

    /// The reply as sent on the wire, every line ending in CRLF.
    pub fn to_wire(&self) -> String {
        let mut lines: Vec<&str> = self.text.lines().collect();
        if lines.is_empty() {
            lines.push("");
        }
        let last = lines.len() - 1;
        let mut out = String::new();
        for (i, line) in lines.into_iter().enumerate() {
            let separator = if i == last { ' ' } else { '-' };
            out.push_str(&format!("{:03}{separator}", self.code));
            if let Some(enhanced) = &self.enhanced {
                out.push_str(enhanced);
                out.push(' ');
            }
            // A stray CR inside a line would let the text forge a reply line of its own.
            out.extend(line.chars().map(|c| if c == '\r' { ' ' } else { c }));
            out.push_str("\r\n");
        }
        out
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.code)?;
        if let Some(enhanced) = &self.enhanced {
            write!(f, " {enhanced}")?;
        }
        write!(f, " {}", self.text)
    }
}

pub(super) fn syntax(text: impl Into<String>) -> Reply {
    Reply::new(501, Some("5.5.4"), text)
}

pub(super) fn unrecognized() -> Reply {
    Reply::new(500, Some("5.5.2"), "command not recognized")
}

pub(super) fn unsupported_param(param: &str) -> Reply {
    Reply::new(555, Some("5.5.4"), format!("unsupported parameter {param}"))
}

pub(super) fn bad_sequence(text: &str) -> Reply {
    Reply::new(503, Some("5.5.1"), text)
}

pub(super) fn auth_cancelled() -> Reply {
    Reply::new(501, Some("5.0.0"), "authentication cancelled")
}

pub(super) fn too_large(max: usize) -> Reply {
    Reply::new(
        552,
        Some("5.3.4"),
        format!("message exceeds fixed maximum message size of {max} bytes"),
    )
}
