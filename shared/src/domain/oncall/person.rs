//! A person on a roster: who they are, their zone, how to reach them and
//! when. Contact details are personal data: each is a type whose `Debug`
//! shows nothing of it, and whose errors name the field, never the value.

use super::{RosterError, Zone, display_name, refuse, slug};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A person's id: a slug such as `priya`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonId(String);

impl PersonId {
    pub fn parse(field: &str, raw: &str) -> Result<Self, RosterError> {
        slug(field, raw).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PersonId {
    type Error = RosterError;
    fn try_from(s: String) -> Result<Self, RosterError> {
        Self::parse("person", &s)
    }
}

impl From<PersonId> for String {
    fn from(p: PersonId) -> String {
        p.0
    }
}

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Defines a contact detail: validated by `$check`, serialised as the
/// string, and never shown by `Debug`.
macro_rules! contact {
    ($name:ident, $check:ident) => {
        #[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, RosterError> {
                $check(raw).map(Self)
            }

            /// The detail itself, for the adapter that delivers to it and
            /// for an admin's view. Never log it.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(…)"))
            }
        }

        impl TryFrom<String> for $name {
            type Error = RosterError;
            fn try_from(s: String) -> Result<Self, RosterError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

contact!(Phone, e164);
contact!(Email, email);
contact!(ChatHandle, chat);

/// E.164: `+`, a country code and number, 7 to 15 digits in all, the first
/// not 0. Spaces, dots, dashes and parentheses are allowed and dropped.
fn e164(raw: &str) -> Result<String, RosterError> {
    let bad = || {
        refuse(
            "contacts.sms",
            "must be an E.164 number: + then the country code and number, 7 to 15 digits",
        )
    };
    let t = raw.trim();
    let rest = t.strip_prefix('+').ok_or_else(bad)?;
    let mut digits = String::with_capacity(15);
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '.' | '-' | '(' | ')' => {}
            _ => return Err(bad()),
        }
    }
    if !(7..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(bad());
    }
    Ok(format!("+{digits}"))
}

/// A mailbox as SMTP takes it, without display names or comments: one
/// `@`, a local part of up to 64 printable characters, and a domain of
/// dot-separated labels with a top-level domain of letters.
fn email(raw: &str) -> Result<String, RosterError> {
    let bad = || {
        refuse(
            "contacts.email",
            "must be an email address, name@domain, at most 254 characters",
        )
    };
    let t = raw.trim();
    if t.len() > 254 {
        return Err(bad());
    }
    let (local, domain) = t.rsplit_once('@').ok_or_else(bad)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels.last().is_some_and(|tld| {
            // Letters, or an internationalised TLD in punycode (`xn--p1ai`).
            tld.len() >= 2
                && (tld.bytes().all(|b| b.is_ascii_alphabetic())
                    || tld.to_ascii_lowercase().starts_with("xn--"))
        });
    // A token pasted as the local part would be stored raw: refuse it, as
    // ids and chat handles are.
    if !(local_ok && domain_ok) || super::looks_secret(local) {
        return Err(bad());
    }
    // Domains are case-insensitive; the local part is the server's own.
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

/// A chat handle or member id (`@priya`, `U012AB3CD`, `priya#1234`): 1 to
/// 80 letters, digits and `.` `_` `-` `@` `#` `:`.
fn chat(raw: &str) -> Result<String, RosterError> {
    let t = raw.trim();
    let ok = !t.is_empty()
        && !super::looks_secret(t)
        && t.len() <= 80
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@#:".contains(&b));
    if ok {
        Ok(t.to_owned())
    } else {
        Err(refuse(
            "contacts.chat",
            "must be 1 to 80 letters, digits, '.', '_', '-', '@', '#' or ':'",
        ))
    }
}

/// How a person is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Sms,
    Email,
    Chat,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Email => "email",
            Self::Chat => "chat",
        }
    }

    fn parse(field: &str, raw: &str) -> Result<Self, RosterError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "sms" => Ok(Self::Sms),
            "email" => Ok(Self::Email),
            "chat" => Ok(Self::Chat),
            _ => Err(refuse(field, "must be sms, email or chat")),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person's contact methods; any may be absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<ChatHandle>,
}

impl Contacts {
    pub fn has(&self, m: Method) -> bool {
        match m {
            Method::Sms => self.sms.is_some(),
            Method::Email => self.email.is_some(),
            Method::Chat => self.chat.is_some(),
        }
    }

    /// The methods present, for a view that must not show the details.
    pub fn methods(&self) -> Vec<Method> {
        [Method::Sms, Method::Email, Method::Chat]
            .into_iter()
            .filter(|m| self.has(*m))
            .collect()
    }
}

/// Notify by `method` once a page has gone this long unacknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NotificationRule {
    pub method: Method,
    pub after_minutes: u32,
}

/// Longest delay a rule may have: a day.
pub const MAX_RULE_MINUTES: i64 = 24 * 60;
/// Most rules a person may have.
pub const MAX_RULES: usize = 10;

/// A person as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub name: String,
    pub time_zone: Zone,
    #[serde(default)]
    pub contacts: Contacts,
    #[serde(default)]
    pub rules: Vec<NotificationRule>,
}

/// A person as sent: the API's body, the CLI's flags.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub name: String,
    pub time_zone: String,
    #[serde(default)]
    pub contacts: ContactsInput,
    #[serde(default)]
    pub rules: Vec<RuleInput>,
}

// Not Debug-derived: it holds contact details as sent.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactsInput {
    #[serde(default)]
    pub sms: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub chat: Option<String>,
}

impl fmt::Debug for ContactsInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContactsInput(…)")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub method: String,
    #[serde(default)]
    pub after_minutes: i64,
}

/// A contact as sent, unless left blank.
fn nonblank(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.trim().is_empty())
}

impl Person {
    /// Validates every field; the first refusal names its field.
    pub fn parse(id: &str, input: &PersonInput) -> Result<Self, RosterError> {
        let id = PersonId::parse("id", id)?;
        let name = display_name("name", &input.name)?;
        let time_zone = Zone::parse("time_zone", &input.time_zone)?;
        let c = &input.contacts;
        let contacts = Contacts {
            sms: nonblank(&c.sms).map(Phone::parse).transpose()?,
            email: nonblank(&c.email).map(Email::parse).transpose()?,
            chat: nonblank(&c.chat).map(ChatHandle::parse).transpose()?,
        };
        if input.rules.len() > MAX_RULES {
            return Err(refuse("rules", format!("at most {MAX_RULES} rules")));
        }
        let mut rules = Vec::with_capacity(input.rules.len());
        for (i, r) in input.rules.iter().enumerate() {
            let method = Method::parse(&format!("rules[{i}].method"), &r.method)?;
            if !contacts.has(method) {
                return Err(refuse(
                    format!("rules[{i}].method"),
                    "names a method the person has no contact for",
                ));
            }
            if !(0..=MAX_RULE_MINUTES).contains(&r.after_minutes) {
                return Err(refuse(
                    format!("rules[{i}].after_minutes"),
                    format!("must be 0 to {MAX_RULE_MINUTES}"),
                ));
            }
            rules.push(NotificationRule {
                method,
                after_minutes: r.after_minutes as u32,
            });
        }
        rules.sort();
        rules.dedup();
        Ok(Self {
            id,
            name,
            time_zone,
            contacts,
            rules,
        })
    }

    /// The methods a page reaches them by: SMS and email (what an SNS
    /// subscription delivers; a chat handle is for the team's channel),
    /// those their rules name or, with no rules, every one they have.
    pub fn paging_methods(&self) -> Vec<Method> {
        let mut out: Vec<Method> = self.paging_rules().iter().map(|r| r.method).collect();
        out.sort();
        out.dedup();
        out
    }

    /// The rules a page follows, by delay: those naming SMS or email
    /// (with a contact for it) or, with no rules, each such contact at 0.
    /// If none is at 0, the earliest are: a page never starts silent.
    pub fn paging_rules(&self) -> Vec<NotificationRule> {
        let deliverable = |m: Method| matches!(m, Method::Sms | Method::Email);
        let mut out: Vec<NotificationRule> = if self.rules.is_empty() {
            self.contacts
                .methods()
                .into_iter()
                .map(|method| NotificationRule {
                    method,
                    after_minutes: 0,
                })
                .collect()
        } else {
            self.rules.clone()
        };
        out.retain(|r| deliverable(r.method) && self.contacts.has(r.method));
        let first = out.iter().map(|r| r.after_minutes).min().unwrap_or(0);
        for r in &mut out {
            if r.after_minutes == first {
                r.after_minutes = 0;
            }
        }
        out.sort_by_key(|r| (r.after_minutes, r.method));
        out.dedup();
        out
    }

    /// Whether a page can reach them: a person who cannot be reached is a
    /// coverage gap and a warning, not a page into the void.
    pub fn reachable(&self) -> bool {
        !self.paging_methods().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PersonInput {
        PersonInput {
            name: "Priya Raman".into(),
            time_zone: "Europe/Berlin".into(),
            contacts: ContactsInput {
                sms: Some("+49 151 1234-5678".into()),
                email: Some("priya@Example.COM".into()),
                chat: Some("@priya".into()),
            },
            rules: vec![
                RuleInput {
                    method: "sms".into(),
                    after_minutes: 5,
                },
                RuleInput {
                    method: "sms".into(),
                    after_minutes: 0,
                },
                RuleInput {
                    method: "email".into(),
                    after_minutes: 0,
                },
            ],
        }
    }

    #[test]
    fn parses_and_normalises() {
        let p = Person::parse("priya", &input()).unwrap();
        assert_eq!(p.contacts.sms.as_ref().unwrap().expose(), "+4915112345678");
        assert_eq!(
            p.contacts.email.as_ref().unwrap().expose(),
            "priya@example.com"
        );
        assert_eq!(p.rules.len(), 3);
        assert_eq!(p.rules[0].method, Method::Sms);
        assert!(p.reachable());
        // Debug shows no contact detail.
        let debug = format!("{p:?}");
        assert!(
            !debug.contains("4915112345678") && !debug.contains("priya@"),
            "{debug}"
        );
    }

    #[test]
    fn paging_methods_table() {
        let with = |sms: bool, email: bool, chat: bool, rules: &[(&str, i64)]| {
            let mut i = input();
            if !sms {
                i.contacts.sms = None;
            }
            if !email {
                i.contacts.email = None;
            }
            if !chat {
                i.contacts.chat = None;
            }
            i.rules = rules
                .iter()
                .map(|(m, after)| RuleInput {
                    method: (*m).into(),
                    after_minutes: *after,
                })
                .collect();
            Person::parse("priya", &i).expect("person")
        };
        use Method::*;
        let cases: [(&str, Person, Vec<Method>); 6] = [
            (
                "rules name sms and email",
                with(true, true, true, &[("sms", 0), ("email", 5)]),
                vec![Sms, Email],
            ),
            (
                "sms twice is sms once",
                with(true, true, false, &[("sms", 0), ("sms", 5)]),
                vec![Sms],
            ),
            (
                "no rules: every deliverable contact",
                with(true, true, true, &[]),
                vec![Sms, Email],
            ),
            (
                "chat alone reaches no phone",
                with(false, false, true, &[("chat", 0)]),
                vec![],
            ),
            ("no rules, chat only", with(false, false, true, &[]), vec![]),
            ("nothing at all", with(false, false, false, &[]), vec![]),
        ];
        for (name, p, want) in cases {
            assert_eq!(p.paging_methods(), want, "{name}");
            assert_eq!(p.reachable(), !want.is_empty(), "{name}");
        }
        let rules = |p: &Person| -> Vec<(Method, u32)> {
            p.paging_rules()
                .iter()
                .map(|r| (r.method, r.after_minutes))
                .collect()
        };
        // SMS at 0, SMS again at 5, email at 0; chat is not paged.
        let p = with(
            true,
            true,
            true,
            &[("sms", 0), ("sms", 5), ("email", 0), ("chat", 1)],
        );
        assert_eq!(rules(&p), vec![(Sms, 0), (Email, 0), (Sms, 5)]);
        // Nothing at 0: the earliest go at once, the later ones later.
        let p = with(true, true, false, &[("email", 10), ("sms", 30)]);
        assert_eq!(rules(&p), vec![(Email, 0), (Sms, 30)]);
        assert_eq!(rules(&with(true, false, false, &[])), vec![(Sms, 0)]);
    }

    #[test]
    fn phone_table() {
        let ok = [
            "+14155552671",
            "+44 20 7946 0958",
            "+1 (415) 555-2671",
            "+6831234",
        ];
        for p in ok {
            assert!(Phone::parse(p).is_ok(), "{p}");
        }
        let bad = [
            "4155552671",
            "+0123456789",
            "+12",
            "+1234567890123456",
            "+1415555267x",
            "",
            "+",
            "++14155552671",
        ];
        for p in bad {
            let e = Phone::parse(p).unwrap_err();
            assert_eq!(e.field, "contacts.sms");
            if p.len() > 3 {
                assert!(!e.to_string().contains(&p[1..]), "{e}");
            }
        }
    }

    #[test]
    fn email_table() {
        for e in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "o'neil@example.ie",
            "ivan@example.xn--p1ai",
        ] {
            assert!(Email::parse(e).is_ok(), "{e}");
        }
        for e in [
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a@exa mple.com",
            "a..b@example.com",
            "a@-x.com",
            "a@example.c0m",
            "a@example.xn--",
            "Priya <priya@example.com>",
            "ghp_aBcdEfGhIjKlMnOpQrStUvWxYz0123456789@example.com",
            "AKIAIOSFODNN7EXAMPLE@example.com",
        ] {
            let err = Email::parse(e).unwrap_err();
            assert_eq!(err.field, "contacts.email");
            assert!(!err.to_string().contains(e), "{err}");
        }
    }

    #[test]
    fn refusals_name_the_field() {
        let cases: Vec<(PersonInput, &str, &str)> = vec![
            (
                PersonInput {
                    name: " ".into(),
                    ..input()
                },
                "priya",
                "name",
            ),
            (
                PersonInput {
                    time_zone: "Mars/Olympus".into(),
                    ..input()
                },
                "priya",
                "time_zone",
            ),
            (input(), "Priya", "id"),
            (
                PersonInput {
                    rules: vec![RuleInput {
                        method: "pager".into(),
                        after_minutes: 0,
                    }],
                    ..input()
                },
                "priya",
                "rules[0].method",
            ),
            (
                PersonInput {
                    rules: vec![RuleInput {
                        method: "sms".into(),
                        after_minutes: -1,
                    }],
                    ..input()
                },
                "priya",
                "rules[0].after_minutes",
            ),
            (
                PersonInput {
                    contacts: ContactsInput {
                        sms: None,
                        ..input().contacts
                    },
                    ..input()
                },
                "priya",
                "rules[0].method",
            ),
            (
                PersonInput {
                    contacts: ContactsInput {
                        chat: Some("pri ya".into()),
                        ..input().contacts
                    },
                    ..input()
                },
                "priya",
                "contacts.chat",
            ),
        ];
        for (input, id, field) in cases {
            let e = Person::parse(id, &input).unwrap_err();
            assert_eq!(e.field, field, "{e}");
        }
    }

    #[test]
    fn stored_form_round_trips() {
        let p = Person::parse("priya", &input()).unwrap();
        let json = serde_json::to_string(&p).unwrap();
        let back: Person = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
    }
}
