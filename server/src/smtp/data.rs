//! Receiving the message after DATA (RFC 5321 §4.1.1.4).
//!
//! The end of the data is `CRLF . CRLF` and nothing else: smtp-proto's [`DataReceiver`] finds
//! it and undoes dot-stuffing (§4.5.2). A bare LF or CR anywhere in the message refuses it
//! (§2.3.8, Postfix's `smtpd_forbid_bare_newline`): a server that took `LF . LF` or
//! `LF . CR LF` as the end would let one DATA carry a second message with an envelope of the
//! sender's choosing ("SMTP smuggling"), and a relay in front of us may have read those bytes
//! as message text.

use std::io;
use std::time::Duration;

use smtp_proto::request::receiver::{DataReceiver, DummyDataReceiver};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tokio::time::{timeout_at, Instant};

/// How reading the data ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Data {
    /// The message, dot-unstuffed, every line ending in CRLF, the final `.CRLF` removed.
    Message(Vec<u8>),
    /// Larger than the limit: read to its end and dropped.
    TooLarge,
    /// A bare CR or LF: read to its end (the real `CRLF . CRLF`) and dropped.
    BareLineEnding,
}

/// Why the data could not be read to its end.
#[derive(Debug, PartialEq, Eq)]
pub enum Cut {
    /// End of stream before `CRLF . CRLF`.
    Eof,
    /// No byte for `idle` long.
    Idle,
    /// The data (or the session) went past its deadline.
    Deadline,
}

/// Reads the data of one DATA command up to its `CRLF . CRLF`, keeping at most `max` bytes
/// (plus one read buffer) in memory. Bytes after the end stay in `reader` (pipelined commands).
pub async fn receive<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
    idle: Duration,
    deadline: Instant,
) -> io::Result<Result<Data, Cut>> {
    let mut receiver = DataReceiver::new();
    // The CRLF that ended the DATA line counts as the start of the first line: a message
    // that is only ".CRLF" is empty, and a first line's leading dot is stuffing.
    let mut data = Vec::with_capacity(4096.min(max + 2));
    receiver.ingest(&mut b"\r\n".iter(), &mut data);
    let mut dropping: Option<DummyDataReceiver> = None;
    loop {
        let wait = Instant::now() + idle;
        let available = match timeout_at(wait.min(deadline), reader.fill_buf()).await {
            Ok(available) => available?,
            Err(_) if wait < deadline => return Ok(Err(Cut::Idle)),
            Err(_) => return Ok(Err(Cut::Deadline)),
        };
        if available.is_empty() {
            return Ok(Err(Cut::Eof));
        }
        let mut bytes = available.iter();
        let done = match dropping.as_mut() {
            Some(dummy) => dummy.ingest(&mut bytes),
            None => receiver.ingest(&mut bytes, &mut data),
        };
        let used = available.len() - bytes.as_slice().len();
        reader.consume(used);
        if done {
            break;
        }
        // The primed CRLF and the final CRLF are not part of the limit.
        if dropping.is_none() && data.len() > max + 2 {
            dropping = Some(DummyDataReceiver::new_data(&receiver));
            data = Vec::new();
        }
    }
    if dropping.is_some() {
        return Ok(Ok(Data::TooLarge));
    }
    // Without the primed CRLF: the receiver keeps the last line's CRLF and drops ".CRLF".
    let message = data.split_off(2.min(data.len()));
    if has_bare_line_ending(&message) {
        return Ok(Ok(Data::BareLineEnding));
    }
    if message.len() > max {
        return Ok(Ok(Data::TooLarge));
    }
    Ok(Ok(Data::Message(message)))
}

/// True when a CR is not followed by LF, or an LF not preceded by CR.
pub fn has_bare_line_ending(bytes: &[u8]) -> bool {
    let mut previous = 0u8;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => return true,
            b'\n' if previous != b'\r' => return true,
            _ => {}
        }
        previous = b;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(input: &[u8], max: usize) -> (Result<Data, Cut>, Vec<u8>) {
        let mut reader = tokio::io::BufReader::with_capacity(7, input);
        let deadline = Instant::now() + Duration::from_secs(5);
        let got = receive(&mut reader, max, Duration::from_secs(5), deadline)
            .await
            .unwrap();
        let mut rest = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut rest)
            .await
            .unwrap();
        (got, rest)
    }

    fn message(m: &str) -> Result<Data, Cut> {
        Ok(Data::Message(m.as_bytes().to_vec()))
    }

    #[tokio::test]
    async fn ends_at_crlf_dot_crlf_and_unstuffs_dots() {
        let (got, rest) = read(b"..a\r\nb\r\n..\r\n.\r\nQUIT\r\n", 100).await;
        assert_eq!(got, message(".a\r\nb\r\n.\r\n"));
        assert_eq!(rest, b"QUIT\r\n");
        assert_eq!(read(b".\r\n", 100).await.0, message(""));
        assert_eq!(read(b"\r\n.\r\n", 100).await.0, message("\r\n"));
        assert_eq!(read(b"x", 100).await.0, Err(Cut::Eof));
    }

    #[tokio::test]
    async fn lf_dot_lf_is_not_an_end_and_a_bare_newline_refuses_the_message() {
        for smuggled in [
            &b"hi\n.\nMAIL FROM:<ceo@acme.test>\r\nRCPT TO:<a@b>\r\nDATA\r\nforged\r\n.\r\n"[..],
            b"hi\r\n.\nMAIL FROM:<ceo@acme.test>\r\n.\r\n",
            b"hi\n.\r\nMAIL FROM:<ceo@acme.test>\r\n.\r\n",
            b"hi\r.\r\nMAIL FROM:<ceo@acme.test>\r\n.\r\n",
            b"hi\r\n.\r\r\n",
        ] {
            let (got, rest) = read(smuggled, 1000).await;
            assert_eq!(got, Ok(Data::BareLineEnding), "{smuggled:?}");
            assert!(rest.is_empty(), "{smuggled:?}: {rest:?}");
        }
    }

    #[tokio::test]
    async fn too_large_is_read_to_its_end_and_dropped() {
        let mut big = vec![b'x'; 50];
        big.extend_from_slice(b"\r\n.\r\nNOOP\r\n");
        let (got, rest) = read(&big, 10).await;
        assert_eq!(got, Ok(Data::TooLarge));
        assert_eq!(rest, b"NOOP\r\n");
        // Exactly at the limit is fine.
        assert_eq!(
            read(b"12345678\r\n.\r\n", 10).await.0,
            message("12345678\r\n")
        );
        assert_eq!(read(b"123456789\r\n.\r\n", 10).await.0, Ok(Data::TooLarge));
    }

    #[test]
    fn bare_line_endings_are_found() {
        assert!(!has_bare_line_ending(b"a\r\nb\r\n"));
        assert!(has_bare_line_ending(b"a\nb"));
        assert!(has_bare_line_ending(b"a\rb"));
        assert!(has_bare_line_ending(b"a\r"));
        assert!(has_bare_line_ending(b"\n"));
        assert!(has_bare_line_ending(b"a\r\r\n"));
    }
}
