//! The incident lifecycle and the transitions it allows.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Reported,
    Triaged,
    Acknowledged,
    Investigating,
    Contained,
    Recovering,
    Resolved,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an incident cannot move from {from} to {to}")]
pub struct IllegalTransition {
    pub from: Status,
    pub to: Status,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Self::Reported,
        Self::Triaged,
        Self::Acknowledged,
        Self::Investigating,
        Self::Contained,
        Self::Recovering,
        Self::Resolved,
        Self::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reported => "reported",
            Self::Triaged => "triaged",
            Self::Acknowledged => "acknowledged",
            Self::Investigating => "investigating",
            Self::Contained => "contained",
            Self::Recovering => "recovering",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
        }
    }

    /// Open incidents are the ones the escalation sweep and on-call care about.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Resolved | Self::Closed)
    }

    /// The lifecycle moves forward. Steps that need nothing extra may be
    /// skipped (a contained-on-arrival report can go straight to recovering),
    /// but a report must be triaged first, and only a resolved incident
    /// closes. The one way back: a resolved or closed incident that recurs
    /// is reopened, to investigating.
    pub fn check_transition(self, to: Status) -> Result<(), IllegalTransition> {
        let ok = match (self, to) {
            (Self::Reported, Self::Triaged) => true,
            (Self::Reported, _) => false,
            (_, Self::Closed) => self == Self::Resolved,
            (Self::Resolved | Self::Closed, Self::Investigating) => true,
            (from, to) => to > from,
        };
        if ok {
            Ok(())
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown status {0:?}: use one of reported, triaged, acknowledged, investigating, contained, recovering, resolved, closed"
)]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::Status::*;
    use super::*;

    #[test]
    fn transitions_table() {
        let cases = [
            (Reported, Triaged, true),
            (Reported, Acknowledged, false),
            (Reported, Closed, false),
            (Triaged, Acknowledged, true),
            (Triaged, Investigating, true),
            (Acknowledged, Investigating, true),
            (Investigating, Contained, true),
            (Contained, Recovering, true),
            (Recovering, Resolved, true),
            (Investigating, Resolved, true),
            (Resolved, Closed, true),
            (Investigating, Closed, false),
            (Triaged, Reported, false),
            // Reopened: back to investigating, and only there.
            (Resolved, Investigating, true),
            (Closed, Investigating, true),
            (Closed, Contained, false),
            (Closed, Triaged, false),
            (Resolved, Acknowledged, false),
            (Closed, Resolved, false),
            (Closed, Closed, false),
            (Triaged, Triaged, false),
        ];
        for (from, to, ok) in cases {
            let got = from.check_transition(to);
            assert_eq!(got.is_ok(), ok, "{from} -> {to}");
            if !ok {
                assert_eq!(got, Err(IllegalTransition { from, to }));
            }
        }
    }

    #[test]
    fn parses_every_status_and_rejects_others() {
        for st in Status::ALL {
            assert_eq!(st.as_str().parse::<Status>(), Ok(st));
        }
        assert!("open".parse::<Status>().is_err());
    }
}
