//! `GET /console/oncall?tz=`: who is on call now and next for each
//! schedule, handoffs in the viewer's zone (UTC unless `tz` says; the
//! console's script fills in the browser's). The same use case, zone
//! parser and views as `GET /api/v1/oncall`.

use crate::app::App;
use crate::app::oncall;
use crate::domain::Role;
use crate::domain::oncall::PersonId;
use crate::http::ApiError;
use crate::http::console::page::{Nope, render, said, value};
use crate::http::console::session::require;
use crate::http::responder::caller::permit;
use crate::http::responder::oncall::{local, next_view, now_view, viewer_zone};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use minijinja::context;
use std::collections::BTreeMap;
use std::sync::Arc;

pub(super) async fn page(app: &Arc<App>, req: &Request<Bytes>) -> Result<Response<Bytes>, Nope> {
    let signed = require(app, req).await?;
    permit(&signed.caller, Role::Viewer)?;
    let sent: Option<String> = form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "tz")
        .map(|(_, v)| v.into_owned());
    let tz = match viewer_zone(req) {
        Ok(tz) => tz,
        Err(e) => {
            return Ok(render(
                "console/oncall.html",
                e.status(),
                Some(&signed),
                context! { error => said(&e, req), tz => sent, zone_set => true, section => "oncall" },
            ));
        }
    };
    let at = app.clock.now();
    let (statuses, people) = oncall::statuses(app, at).await.map_err(ApiError::from)?;
    let names: BTreeMap<PersonId, String> =
        people.into_iter().map(|(id, p)| (id, p.name)).collect();
    let schedules: Vec<_> = statuses
        .iter()
        .map(|s| {
            context! {
                name => s.schedule.name.as_str(),
                time_zone => value(&s.schedule.time_zone),
                now => value(&now_view(&s.now, &names)),
                next => s.next.as_ref().map(|n| value(&next_view(n, &names, tz))),
            }
        })
        .collect();
    Ok(render(
        "console/oncall.html",
        StatusCode::OK,
        Some(&signed),
        context! {
            section => "oncall",
            schedules,
            at => value(&local(at, tz)),
            tz => tz.name(),
            zone_set => sent.is_some(),
        },
    ))
}
