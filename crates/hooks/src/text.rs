//! Bounds on text from outside (responses, SDK errors, AppSpecs) before it is logged or
//! reported: a response can hold megabytes, and personal data, and the hooks' logs are shared.

/// The most of a response (or of any other text from outside) a log line or a reason quotes.
pub(crate) const EXCERPT_CHARS: usize = 512;

/// The longest reason a log line or a report carries: a last guard behind the excerpts the
/// checks already cut, since reasons can quote SDK errors and responses.
pub(crate) const MAX_REASON_CHARS: usize = 2048;

/// At most [`EXCERPT_CHARS`] characters of `payload`, marked `…` when cut.
pub(crate) fn excerpt(payload: &[u8]) -> String {
    // Only what can be quoted is decoded: a 6 MB payload costs no 6 MB string.
    let head = &payload[..payload.len().min(EXCERPT_CHARS * 4 + 4)];
    let text = String::from_utf8_lossy(head);
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None if head.len() < payload.len() => format!("{text}…"),
        None => text.into_owned(),
    }
}

/// At most `max_chars` characters of `text`, followed by `… (N bytes)` when cut, so that a
/// reader knows how much was left out.
pub(crate) fn cut(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}… ({} bytes)", &text[..end], text.len()),
        None => text.to_owned(),
    }
}

/// A reason bounded to [`MAX_REASON_CHARS`].
pub(crate) fn reason(text: &str) -> String {
    cut(text, MAX_REASON_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_bounded() {
        assert_eq!(excerpt(b"short"), "short");
        assert_eq!(excerpt("é".repeat(600).as_bytes()).chars().count(), 513);
        assert_eq!(excerpt(&vec![b'x'; 6 << 20]).chars().count(), 513);
    }

    #[test]
    fn cuts_say_how_much_was_left_out() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("abcdef", 3), "abc… (6 bytes)");
        assert_eq!(reason(&"é".repeat(3000)).chars().count(), 2048 + 14);
    }
}
