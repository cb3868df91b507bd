//! Reading the client's lines with a cap on how much of each is kept.

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// How [`read_line`] ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Line {
    /// End of stream before any byte.
    Eof,
    /// A whole line (or the unterminated rest of the stream) was appended.
    Complete,
    /// The line was longer than the limit: its head was appended, the rest dropped.
    Truncated,
}

/// Appends the next line, through its LF, to `buf`, keeping at most `limit` bytes of it; the
/// rest of a longer line is read and dropped, so a client cannot make `buf` grow past that.
pub(super) async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    limit: usize,
) -> io::Result<Line> {
    let ceiling = buf.len() + limit;
    let (mut seen_any, mut truncated) = (false, false);
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            break;
        }
        seen_any = true;
        let (chunk, found_end) = match available.iter().position(|&b| b == b'\n') {
            Some(end) => (&available[..=end], true),
            None => (available, false),
        };
        let take = chunk.len().min(ceiling - buf.len());
        if buf.capacity() < buf.len() + take {
            // Grow by doubling, but never past the ceiling (plain `reserve` could double past it).
            let wanted = (buf.capacity() * 2).clamp(buf.len() + take, ceiling);
            buf.reserve_exact(wanted - buf.len());
        }
        buf.extend_from_slice(&chunk[..take]);
        truncated |= take < chunk.len();
        let consumed = chunk.len();
        reader.consume(consumed);
        if found_end {
            break;
        }
    }
    Ok(match (seen_any, truncated) {
        (false, _) => Line::Eof,
        (true, false) => Line::Complete,
        (true, true) => Line::Truncated,
    })
}
