//! What a refusal may say: the text of an error, scrubbed of the
//! request's own values before it is sent or logged.

use bytes::Bytes;
use http::header;

/// What a refusal may say, in the response and in the log: the field and
/// the rule, never the value (issue 16). Parser and enum errors quote the
/// input (``unknown variant `ghp_…` ``, `invalid type: string "…"`) and
/// handlers quote it with `{:?}`, so every quoted span goes, except the
/// schema's own names: those serde lists after "expected", and the field
/// of `missing field` and `duplicate field`. Then any of the request's own
/// values (`echo`) still in the text goes, and the rest is redacted.
pub(crate) fn public_text(message: &str, echo: &[String]) -> String {
    // "send {\"state\": \"done\"}: <why>": the example is the API's own text.
    if let Some(rest) = message.strip_prefix("send {")
        && let Some(end) = rest.find("}: ")
    {
        let (example, why) = rest.split_at(end + 3);
        return format!("send {{{example}{}", public_text(why, echo));
    }
    // serde's "unknown field `…`, expected `a` or `b`": the name is the
    // client's, and backticks inside it defeat unquoting, so only the
    // schema's names after the last "expected" are kept.
    for what in ["unknown field", "unknown variant"] {
        if let Some(at) = message.find(what) {
            let tail = message
                .rfind(", expected")
                .filter(|&e| e > at)
                .map(|e| &message[e..])
                .unwrap_or("");
            let head = unquote(&message[..at], true);
            return crate::domain::redact::redact(&format!("{head}{what}{tail}"))
                .text
                .into_owned();
        }
    }
    // "expected" inside a quoted value is the client's word, not serde's.
    let (head, tail) = match outside_quotes(message, "expected") {
        Some(at) => message.split_at(at),
        None => (message, ""),
    };
    let mut out = unquote(head, true);
    out.push_str(&unquote(tail, false));
    for value in echo {
        if out.contains(value.as_str()) {
            out = out.replace(value.as_str(), "…");
        }
    }
    crate::domain::redact::redact(&out).text.into_owned()
}

/// Where `word` first occurs outside double quotes and backticks.
fn outside_quotes(text: &str, word: &str) -> Option<usize> {
    let mut open: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match open {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    open = None;
                }
            }
            None if c == '"' || c == '`' => open = Some(c),
            None if text[i..].starts_with(word) => return Some(i),
            None => {}
        }
    }
    None
}

/// `text` without its quoted spans: double-quoted ones (with `\"`
/// escapes) and, if `backticks`, backticked ones, each with the space before
/// it. An unclosed quote runs to the end.
fn unquote(text: &str, backticks: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((_, c)) = chars.next() {
        let quote = c == '"' || (backticks && c == '`');
        let schema_name =
            c == '`' && (out.ends_with("missing field ") || out.ends_with("duplicate field "));
        if !quote {
            out.push(c);
            continue;
        }
        if schema_name {
            out.push(c);
            for (_, q) in chars.by_ref() {
                out.push(q);
                if q == '`' {
                    break;
                }
            }
            continue;
        }
        let mut closed = false;
        let mut escaped = false;
        for (_, q) in chars.by_ref() {
            if escaped {
                escaped = false;
            } else if q == '\\' && c == '"' {
                escaped = true;
            } else if q == c {
                closed = true;
                break;
            }
        }
        if out.ends_with(' ') {
            out.pop();
        }
        if !closed {
            break;
        }
    }
    out
}

/// The request's own values, for [`public_text`] to keep out: the path's
/// segments, the query's names and values, header values, and the body's
/// strings and names (JSON or a form). Words of the API's own vocabulary
/// (lower case, like `acknowledged`) and short values are not worth
/// hiding and would blank out the message that names them.
pub(crate) fn echo(uri: &http::Uri, headers: &http::HeaderMap, body: &Bytes) -> Vec<String> {
    const PLAIN: [header::HeaderName; 5] = [
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::ACCEPT,
        header::HOST,
        header::USER_AGENT,
    ];
    let mut values: Vec<String> = uri
        .path()
        .split('/')
        .filter_map(|s| percent_encoding::percent_decode_str(s).decode_utf8().ok())
        .map(|s| s.into_owned())
        .collect();
    if let Some(q) = uri.query() {
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            values.push(k.into_owned());
            values.push(v.into_owned());
        }
    }
    for (name, v) in headers {
        if !PLAIN.contains(name)
            && let Ok(v) = v.to_str()
        {
            values.push(v.trim().to_owned());
        }
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => json_strings(&v, &mut values),
        Err(_) => {
            for (k, v) in form_urlencoded::parse(body) {
                values.push(k.into_owned());
                values.push(v.into_owned());
            }
        }
    }
    let vocabulary = |v: &str| {
        v.bytes()
            .all(|b| b.is_ascii_lowercase() || b"_ -".contains(&b))
    };
    values.retain(|v| v.chars().count() >= 6 && !vocabulary(v));
    // Longest first, so a value is not left half-hidden by one inside it.
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    values
}

fn json_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|i| json_strings(i, out)),
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                json_strings(v, out);
            }
        }
        _ => {}
    }
}
