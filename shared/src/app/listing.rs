//! The incident listing, open incidents first across every page: the open
//! half (newest first), then the resolved and closed half (newest first).
//! The store pages each half by itself; the cursor says which half a page
//! continues in, so page two of a list never shows a closed incident while
//! an open one waits on page three.

use crate::domain::Incident;
use crate::ports::{Cursor, IncidentQuery, IncidentStore, StoreError};

/// Which half of the listing a page is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Half {
    Open,
    Closed,
}

/// Where an open-first listing continues: a half, and the last incident
/// seen in it (none: from the half's start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListCursor {
    pub half: Half,
    pub after: Option<Cursor>,
}

impl ListCursor {
    /// Opaque to callers: `o` or `c`, then the store's cursor.
    pub fn encode(&self) -> String {
        let half = match self.half {
            Half::Open => 'o',
            Half::Closed => 'c',
        };
        let after = self.after.map(|c| c.encode()).unwrap_or_default();
        format!("{half}{after}")
    }

    pub fn decode(s: &str) -> Option<Self> {
        let s = s.trim();
        let mut chars = s.chars();
        let half = match chars.next()? {
            'o' => Half::Open,
            'c' => Half::Closed,
            _ => return None,
        };
        let rest = chars.as_str();
        let after = if rest.is_empty() {
            None
        } else {
            Some(Cursor::decode(rest)?)
        };
        Some(Self { half, after })
    }
}

/// One page of an open-first listing; `next` is set when more may follow.
#[derive(Debug, Default)]
pub struct Listing {
    pub items: Vec<Incident>,
    pub next: Option<ListCursor>,
}

/// One page of `q` (its `open` and `after` are the cursor's to set), open
/// incidents first. A page that ends the open half may say more follows
/// when no closed incident does; the page after it is then empty.
pub async fn open_first<S: IncidentStore + ?Sized>(
    store: &S,
    q: &IncidentQuery,
    from: Option<ListCursor>,
) -> Result<Listing, StoreError> {
    let mut at = from.unwrap_or(ListCursor {
        half: Half::Open,
        after: None,
    });
    let mut items = Vec::new();
    loop {
        let page = store
            .list(&IncidentQuery {
                open: Some(at.half == Half::Open),
                after: at.after,
                limit: q.limit - items.len(),
                ..q.clone()
            })
            .await?;
        items.extend(page.items);
        if let Some(c) = page.next {
            let next = ListCursor {
                half: at.half,
                after: Some(c),
            };
            return Ok(Listing {
                items,
                next: Some(next),
            });
        }
        if at.half == Half::Closed {
            return Ok(Listing { items, next: None });
        }
        at = ListCursor {
            half: Half::Closed,
            after: None,
        };
        if items.len() >= q.limit {
            return Ok(Listing {
                items,
                next: Some(at),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_refuses_others() {
        let c = Cursor {
            created_at: "2026-03-01T10:00:00Z".parse().expect("time"),
            id: "01KK8Z0M00R3PQ7B2W4C6D8E9F".parse().expect("ulid"),
        };
        for lc in [
            ListCursor {
                half: Half::Open,
                after: Some(c),
            },
            ListCursor {
                half: Half::Closed,
                after: Some(c),
            },
            ListCursor {
                half: Half::Closed,
                after: None,
            },
        ] {
            assert_eq!(ListCursor::decode(&lc.encode()), Some(lc));
        }
        for bad in ["", "x", "%%%", "onot-a-cursor", &c.encode()] {
            assert_eq!(ListCursor::decode(bad), None, "{bad:?}");
        }
    }
}
