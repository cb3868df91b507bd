//! AUTH PLAIN (RFC 4616) and LOGIN (RFC 4954) against the configured login.

use std::io;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::line::Line;
use super::reply::{auth_cancelled, bad_sequence};
use super::session::Session;
use super::{Reply, MAX_COMMAND_LINE};

impl Session {
    /// AUTH PLAIN (RFC 4616) or LOGIN, with the initial response on the command line or after
    /// a 334 challenge.
    pub(super) async fn auth(
        &mut self,
        mechanism: &str,
        initial: Option<String>,
    ) -> io::Result<Reply> {
        let Some((user, password)) = self.config.login.clone() else {
            return Ok(Reply::new(502, Some("5.5.1"), "AUTH not offered"));
        };
        if !self.io.get_ref().is_tls() {
            return Ok(Reply::new(
                538,
                Some("5.7.11"),
                "encryption required for requested authentication mechanism",
            ));
        }
        if self.helo.is_none() {
            return Ok(bad_sequence("send EHLO first"));
        }
        if self.authenticated {
            return Ok(bad_sequence("already authenticated"));
        }
        if self.transaction.is_some() {
            return Ok(bad_sequence("AUTH not permitted during a mail transaction"));
        }
        let given = match mechanism {
            "PLAIN" => {
                let response = match initial {
                    Some(r) => r,
                    None => match self.challenge("").await? {
                        Some(r) => r,
                        None => return Ok(auth_cancelled()),
                    },
                };
                // authzid NUL authcid NUL passwd
                decode_b64(&response).and_then(|plain| {
                    let mut parts = plain.splitn(3, |&b| b == 0);
                    let (_authz, authc, pass) = (parts.next()?, parts.next()?, parts.next()?);
                    Some((authc.to_vec(), pass.to_vec()))
                })
            }
            "LOGIN" => {
                let name = match initial {
                    Some(r) => Some(r),
                    None => self.challenge("VXNlcm5hbWU6").await?,
                };
                let Some(name) = name else {
                    return Ok(auth_cancelled());
                };
                let Some(pass) = self.challenge("UGFzc3dvcmQ6").await? else {
                    return Ok(auth_cancelled());
                };
                decode_b64(&name).zip(decode_b64(&pass))
            }
            _ => {
                return Ok(Reply::new(
                    504,
                    Some("5.5.4"),
                    "unrecognized authentication mechanism",
                ))
            }
        };
        let Some((given_user, given_password)) = given else {
            return Ok(Reply::new(501, Some("5.5.2"), "cannot decode response"));
        };
        // Compared as digests, so the time taken says nothing about how much of it matched.
        let same = |a: &[u8], b: &[u8]| Sha256::digest(a) == Sha256::digest(b);
        if same(&given_user, user.as_bytes()) & same(&given_password, password.as_bytes()) {
            self.authenticated = true;
            Ok(Reply::new(235, Some("2.7.0"), "authentication successful"))
        } else {
            tracing::info!(peer = %self.peer, "smtp authentication failed");
            Ok(Reply::new(
                535,
                Some("5.7.8"),
                "authentication credentials invalid",
            ))
        }
    }

    /// Sends `334 challenge` and reads the client's line: `None` when it cancels with `*`.
    async fn challenge(&mut self, challenge: &str) -> io::Result<Option<String>> {
        self.send(&Reply::new(334, None, challenge)).await?;
        let mut line = Vec::new();
        match self.read_line_timed(&mut line, MAX_COMMAND_LINE).await? {
            Line::Eof => Err(io::ErrorKind::UnexpectedEof.into()),
            Line::Truncated => Ok(None),
            Line::Complete => {
                let text = String::from_utf8_lossy(&line).trim().to_owned();
                Ok((text != "*").then_some(text))
            }
        }
    }
}

fn decode_b64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
}
