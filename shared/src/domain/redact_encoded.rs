//! Secrets written encoded, for [`super::redact`]: percent-escapes and HTML
//! character references inside a token (`ghp%5F…`, `ghp&#95;…`) and base64
//! of a text that holds one (`eC1hY2Nlc3MtdG9rZW46Z2hw…`, a k8s secret, or
//! PowerShell's `-enc` of UTF-16LE text).
//! Only runs that could be encoded are decoded, and a run whose decoded
//! text the rules find a secret in is replaced whole by one marker.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use regex::Regex;
use std::sync::LazyLock;

/// A run of URL or token characters with at least one escape in it.
static ESCAPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:[A-Za-z0-9_.~+/-]|%[0-9A-Fa-f]{2}|&#[0-9]{1,7};|&#[xX][0-9A-Fa-f]{1,6};){12,}")
        .unwrap_or_else(|e| panic!("escaped-run pattern: {e}"))
});

/// Runs of base64, standard or URL-safe, long enough to hold a token
/// (24 characters or more, then up to two `=`), as byte ranges. A plain
/// scan: every text passes through it, and a regex search cost more.
fn base64_runs(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    // The alphabet as a table: this loop reads every byte of every text.
    const CLASS: [bool; 256] = {
        let mut t = [false; 256];
        let mut c = 0;
        while c < 256 {
            let b = c as u8;
            t[c] = b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'_' | b'-');
            c += 1;
        }
        t
    };
    let b = text.as_bytes();
    let class = |c: u8| CLASS[usize::from(c)];
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            if !class(b[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && class(b[i]) {
                i += 1;
            }
            if i - start >= 24 {
                let mut end = i;
                while end < b.len() && end - i < 2 && b[end] == b'=' {
                    end += 1;
                }
                i = end;
                return Some((start, end));
            }
        }
        None
    })
}

fn engine(url_safe: bool) -> GeneralPurpose {
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let alphabet = if url_safe {
        &alphabet::URL_SAFE
    } else {
        &alphabet::STANDARD
    };
    GeneralPurpose::new(alphabet, config)
}

/// `run` with its percent-escapes and character references decoded.
fn unescape(run: &str) -> String {
    let mut out = String::with_capacity(run.len());
    let mut bytes = Vec::new();
    let mut rest = run;
    while let Some(c) = rest.chars().next() {
        if let Some(hex) = rest.strip_prefix('%').and_then(|r| r.get(..2))
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            bytes.push(b);
            rest = &rest[3..];
            continue;
        }
        if !bytes.is_empty() {
            out.push_str(&String::from_utf8_lossy(&bytes));
            bytes.clear();
        }
        if let Some(body) = rest.strip_prefix("&#")
            && let Some((num, _)) = body.split_once(';')
        {
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => num.parse().ok(),
            };
            if let Some(ch) = code.and_then(char::from_u32) {
                out.push(ch);
                rest = &rest[2 + num.len() + 1..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out.push_str(&String::from_utf8_lossy(&bytes));
    out
}

/// The text `run` is the base64 of, if it is mostly printable ASCII.
fn unbase64(run: &str) -> Option<String> {
    let url_safe = run.contains(['-', '_']);
    if url_safe && run.contains(['+', '/']) {
        return None;
    }
    let bytes = engine(url_safe).decode(run).ok()?;
    let text = |b: &u8| b.is_ascii_graphic() || matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let printable = bytes.iter().filter(|b| text(b)).count();
    if bytes.len() >= 12 && printable * 10 >= bytes.len() * 9 {
        return Some(String::from_utf8_lossy(&bytes).into_owned());
    }
    // UTF-16LE, as PowerShell's `-EncodedCommand` takes it: ASCII text
    // with a zero after each byte.
    let units = bytes.len() / 2;
    let ascii = bytes
        .chunks_exact(2)
        .filter(|p| p[1] == 0 && text(&p[0]))
        .count();
    (units >= 12 && ascii * 10 >= units * 9).then(|| {
        let wide: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect();
        String::from_utf16_lossy(&wide)
    })
}

/// The text an even run of hex is the encoding of, if it is printable
/// ASCII (`6768705f…` is `ghp_…`); a digest decodes to random bytes.
fn unhex(run: &str) -> Option<String> {
    let b = run.as_bytes();
    if b.len() < 24 || !b.len().is_multiple_of(2) || !b.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    };
    let bytes: Vec<u8> = b
        .chunks_exact(2)
        .map(|p| nibble(p[0]) << 4 | nibble(p[1]))
        .collect();
    bytes
        .iter()
        .all(|c| c.is_ascii_graphic() || *c == b' ')
        .then(|| String::from_utf8_lossy(&bytes).into_owned())
}

/// Is `run` the base64 of ordinary text (not of random bytes, as a key is)?
pub(super) fn is_base64_text(run: &str) -> bool {
    unbase64(run).is_some()
}

/// `text` with every encoded run that hides a secret replaced by a marker,
/// and the kinds found; `None` if there is none. `find` names the first
/// secret's kind in a decoded text and `mark` writes a run's marker: the
/// redactor's own, passed in so that this module does not import it.
pub(super) fn reveal(
    text: &str,
    find: impl Fn(&str) -> Option<&'static str>,
    mark: impl Fn(&str, &str) -> String,
) -> Option<(String, Vec<&'static str>)> {
    let mut spans: Vec<(usize, usize, &'static str)> = Vec::new();
    let mut found = |start: usize, end: usize, decoded: &str| {
        if let Some(kind) = find(decoded) {
            spans.push((start, end, kind));
        }
    };
    if text.contains('%') || text.contains("&#") {
        for m in ESCAPED.find_iter(text) {
            let run = m.as_str();
            if run.contains('%') || run.contains("&#") {
                // Escaped twice (`%253D` is `%3D` is `=`): read once more.
                let once = unescape(run);
                if once.contains('%') && find(&once).is_none() {
                    found(m.start(), m.end(), &unescape(&once));
                } else {
                    found(m.start(), m.end(), &once);
                }
            }
        }
    }
    for (start, end) in base64_runs(text) {
        let run = &text[start..end];
        // `0x…` is hex with its prefix (`0x70617373…`).
        let hex = run
            .strip_prefix("0x")
            .or_else(|| run.strip_prefix("0X"))
            .unwrap_or(run);
        if let Some(decoded) = unhex(hex).or_else(|| unbase64(run)) {
            // Base64 of base64: the inner run is read once more.
            let inner = decoded.trim();
            let kind = find(&decoded).or_else(|| {
                (inner.len() >= 24)
                    .then(|| unbase64(inner))
                    .flatten()
                    .and_then(|twice| find(&twice))
            });
            if let Some(kind) = kind {
                spans.push((start, end, kind));
            }
        }
    }
    if spans.is_empty() {
        return None;
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut kinds = Vec::new();
    let mut last = 0;
    for (start, end, kind) in spans {
        if start < last {
            continue;
        }
        out.push_str(&text[last..start]);
        out.push_str(&mark(kind, &text[start..end]));
        kinds.push(kind);
        last = end;
    }
    out.push_str(&text[last..]);
    Some((out, kinds))
}

#[cfg(test)]
mod tests {
    use super::base64_runs;

    /// Hex of text decodes; hex of a digest (random bytes) does not.
    #[test]
    fn hex_of_text_decodes_and_a_digest_does_not() {
        assert_eq!(
            super::unhex("6e706d5f4b7132577a3958").as_deref(),
            None,
            "shorter than a token"
        );
        assert_eq!(
            super::unhex("6e706d5f4b7132577a39586c3450").as_deref(),
            Some("npm_Kq2Wz9Xl4P")
        );
        assert_eq!(
            super::unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            None
        );
    }

    /// The scan finds what `[A-Za-z0-9+/_-]{24,}={0,2}` would.
    #[test]
    fn base64_runs_are_the_long_runs_and_their_padding() {
        let re = regex::Regex::new(r"[A-Za-z0-9+/_-]{24,}={0,2}").expect("pattern");
        for text in [
            "",
            "short words only, nothing long here",
            "token eC1hY2Nlc3MtdG9rZW46Z2hwX2FiYw== end",
            "a===AAAAAAAAAAAAAAAAAAAAAAAAAA===b",
            "ключ:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=, next QUJDREVGR0hJSktMTU5PUFFSU1RV_-",
            "exactly24charsAAAAAAAAAA|23charsAAAAAAAAAAAAAAA",
        ] {
            let want: Vec<(usize, usize)> =
                re.find_iter(text).map(|m| (m.start(), m.end())).collect();
            assert_eq!(base64_runs(text).collect::<Vec<_>>(), want, "{text:?}");
        }
    }
}
