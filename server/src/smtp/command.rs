//! Parsing one SMTP command line (RFC 5321 §4.1) into a [`Command`].

use super::reply::{syntax, unrecognized, unsupported_param};
use super::Reply;

/// One SMTP command, parsed.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Command {
    Helo(String),
    Ehlo(String),
    Mail {
        from: String,
        size: Option<u64>,
    },
    Rcpt(String),
    Data,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Help,
    StartTls,
    /// AUTH mechanism [initial-response] (RFC 4954 §4).
    Auth {
        mechanism: String,
        initial: Option<String>,
    },
}

impl Command {
    /// Parses one command line (its line ending included); Err is the reply to send instead.
    pub(super) fn parse(line: &[u8]) -> Result<Self, Reply> {
        let line = std::str::from_utf8(line).map_err(|_| unrecognized())?;
        let line = line.trim_end_matches(['\r', '\n']);
        let (verb, args) = match line.split_once(' ') {
            Some((verb, args)) => (verb, args.trim()),
            None => (line, ""),
        };
        let verb = verb.to_ascii_uppercase();
        let no_args = |command| {
            if args.is_empty() {
                Ok(command)
            } else {
                Err(syntax(format!("{verb} takes no arguments")))
            }
        };
        match verb.as_str() {
            "HELO" | "EHLO" => {
                let name = args.split_whitespace().next().ok_or_else(|| {
                    syntax(format!("{verb} requires a domain or address literal"))
                })?;
                Ok(if verb == "EHLO" {
                    Self::Ehlo(name.to_owned())
                } else {
                    Self::Helo(name.to_owned())
                })
            }
            "MAIL" => {
                let rest = strip_prefix_ignore_case(args, "FROM:")
                    .ok_or_else(|| syntax("syntax: MAIL FROM:<address> [parameters]"))?;
                let (from, params) = parse_path(rest)?;
                Ok(Self::Mail {
                    from: from.to_owned(),
                    size: parse_mail_params(params)?,
                })
            }
            "RCPT" => {
                let rest = strip_prefix_ignore_case(args, "TO:")
                    .ok_or_else(|| syntax("syntax: RCPT TO:<address>"))?;
                let (to, params) = parse_path(rest)?;
                if to.is_empty() {
                    return Err(syntax("recipient address required"));
                }
                if !params.is_empty() {
                    return Err(unsupported_param(params));
                }
                Ok(Self::Rcpt(to.to_lowercase()))
            }
            "DATA" => no_args(Self::Data),
            "RSET" => no_args(Self::Rset),
            "QUIT" => no_args(Self::Quit),
            "NOOP" => Ok(Self::Noop),
            "VRFY" => Ok(Self::Vrfy),
            "HELP" => Ok(Self::Help),
            "STARTTLS" => no_args(Self::StartTls),
            "AUTH" => {
                let mut words = args.split_whitespace();
                let mechanism = words
                    .next()
                    .ok_or_else(|| syntax("syntax: AUTH mechanism [initial-response]"))?
                    .to_ascii_uppercase();
                Ok(Self::Auth {
                    mechanism,
                    initial: words.next().map(str::to_owned),
                })
            }
            "EXPN" | "BDAT" | "ETRN" | "TURN" => Err(Reply::new(
                502,
                Some("5.5.1"),
                format!("{verb} not implemented"),
            )),
            _ => Err(unrecognized()),
        }
    }
}

/// `text` without a case-insensitive ASCII `prefix`, if it starts with one.
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Splits `<address> parameters` into the address (source route dropped) and the parameters.
/// A missing pair of angle brackets is tolerated, as many clients omit them.
fn parse_path(rest: &str) -> Result<(&str, &str), Reply> {
    let rest = rest.trim_start();
    let (address, params) = match rest.strip_prefix('<') {
        Some(inner) => inner
            .split_once('>')
            .ok_or_else(|| syntax("unterminated <address>"))?,
        None if rest.is_empty() => return Err(syntax("address required")),
        None => rest.split_once(' ').unwrap_or((rest, "")),
    };
    // An obsolete source route, "@relay1,@relay2:user@domain", names the mailbox last.
    let address = match address.strip_prefix('@') {
        Some(route) => route
            .split_once(':')
            .map_or(address, |(_, mailbox)| mailbox),
        None => address,
    };
    if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(syntax("bad address syntax"));
    }
    Ok((address, params.trim()))
}

/// Checks the parameters of MAIL FROM and returns the declared SIZE, if any.
fn parse_mail_params(params: &str) -> Result<Option<u64>, Reply> {
    let mut size = None;
    for param in params.split_whitespace() {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        match key.to_ascii_uppercase().as_str() {
            "SIZE" => {
                size = Some(value.parse().map_err(|_| syntax("bad SIZE value"))?);
            }
            "BODY" => {
                if !(value.eq_ignore_ascii_case("7BIT") || value.eq_ignore_ascii_case("8BITMIME")) {
                    return Err(syntax("BODY must be 7BIT or 8BITMIME"));
                }
            }
            "SMTPUTF8" if value.is_empty() => {}
            _ => return Err(unsupported_param(param)),
        }
    }
    Ok(size)
}
