//! Redaction of the load test's report, fresh and read back: wall clock per
//! call, or under callgrind with `N` calls of one kind (`dirty 200`).
use klaxon_core::domain::redact::{RedactedText, redact};
use std::hint::black_box;
use std::time::Instant;

const DIRTY: &str = "Unauthenticated remote code execution through the webhook endpoint. The attacker's script used aws_access_key_id=AKIAZ3XAMPLEK3YQ7WBN and aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY7, and a GitHub token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789; the admin password was password=hunter2-correct-horse-battery.";
const CLEAN: &str = "Unauthenticated remote code execution through the webhook endpoint of the Jira app. The attacker's script used the admin account and a crafted payload; see the attached logs for the request bodies and the times.";

fn main() {
    let marked = redact(DIRTY).text.into_owned();
    let texts = [
        ("dirty", DIRTY),
        ("clean", CLEAN),
        ("marked", marked.as_str()),
    ];
    let mut args = std::env::args().skip(1);
    if let (Some(kind), Some(n)) = (args.next(), args.next()) {
        let text = texts
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(DIRTY, |(_, t)| *t);
        for _ in 0..n.parse::<usize>().unwrap_or(1) {
            black_box(redact(black_box(text)));
        }
        return;
    }
    for (name, text) in texts {
        let n = 5000;
        let t = Instant::now();
        for _ in 0..n {
            black_box(redact(black_box(text)));
        }
        let fresh = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        let t = Instant::now();
        for _ in 0..n {
            black_box(RedactedText::from(black_box(text)));
        }
        let read = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        println!("{name}: {fresh:.1} µs fresh, {read:.1} µs read back");
    }
}
