//! `GET /console`: the incidents, open ones first, with the filters and
//! pages of `GET /api/v1/incidents` (the same query parser and use case).

use super::clock;
use super::page::{Nope, render, said};
use super::session::require;
use crate::app::App;
use crate::app::respond;
use crate::domain::Role;
use crate::domain::{IncidentRole, Severity, Status};
use crate::http::ApiError;
use crate::http::responder::caller::permit;
use crate::http::responder::commands::ListIncidents;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use minijinja::{Value, context};

/// The filters the form offers, as sent; an empty one is no filter.
const FILTERS: [&str; 4] = ["status", "severity", "tenant", "drill"];

/// A link to this list with `pairs` as its query.
fn href(pairs: &[(String, String)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    let q = q.finish();
    if q.is_empty() {
        "/console".into()
    } else {
        format!("/console?{q}")
    }
}

pub(super) async fn page(app: &App, req: &Request<Bytes>) -> Result<Response<Bytes>, Nope> {
    let signed = require(app, req).await?;
    let caller = permit(&signed.caller, Role::Viewer)?;
    let sent: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
    let filters: Vec<(String, String)> = sent
        .iter()
        .filter(|(k, _)| FILTERS.contains(&k.as_str()))
        .cloned()
        .collect();
    let shown = context! {
        status => value_of(&sent, "status"),
        severity => value_of(&sent, "severity"),
        tenant => value_of(&sent, "tenant"),
        drill => value_of(&sent, "drill"),
    };
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let severities: Vec<&str> = Severity::ALL.iter().map(|s| s.code()).collect();
    let base = context! { filters => shown, statuses, severities, section => "incidents" };
    // The API's own parser: a bad filter is refused as the API refuses it.
    let parsed = match ListIncidents::parse(sent.clone()) {
        Ok(p) => p,
        Err(e) => return Ok(refused(&signed, e, req, base)),
    };
    let ListIncidents {
        query,
        tenant,
        cursor,
    } = parsed;
    let page = match respond::list(app, caller, query, tenant, cursor).await {
        Ok(p) => p,
        Err(e) => return Err(ApiError::from(e).into()),
    };
    let now = app.clock.now();
    // Open first across every page: the use case's order.
    let rows: Vec<Value> = page
        .items
        .iter()
        .map(|i| {
            let (next, urgency) = clock::next(i, now);
            context! {
                reference => i.reference.as_str(),
                href => format!("/console/incidents/{}", i.reference.as_str()),
                title => i.title.as_str(),
                tenant => i.tenant.as_ref().map(|t| t.as_str()),
                severity => i.severity.map(|s| s.code()),
                status => i.status.as_str(),
                drill => i.drill,
                commander => i.roles.get(IncidentRole::IncidentCommander.as_str()),
                next,
                urgency,
            }
        })
        .collect();
    let next_href = page.next.map(|c| {
        let mut q = filters.clone();
        q.push(("cursor".into(), c.encode()));
        href(&q)
    });
    let first_href = sent
        .iter()
        .any(|(k, _)| k == "cursor")
        .then(|| href(&filters));
    Ok(render(
        "console/incidents.html",
        StatusCode::OK,
        Some(&signed),
        context! { rows, next_href, first_href, ..base },
    ))
}

fn value_of<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The list page with the API's refusal beside the filter it names.
fn refused(
    signed: &super::Signed,
    e: ApiError,
    req: &Request<Bytes>,
    base: Value,
) -> Response<Bytes> {
    let field = e.code().strip_prefix("invalid_").map(str::to_owned);
    render(
        "console/incidents.html",
        e.status(),
        Some(signed),
        context! { error => said(&e, req), error_field => field, ..base },
    )
}
