//! `GET /console/metrics`: MTTA and MTTR per severity a week or a month at a
//! time, and the share of deadlines met, as server-drawn charts with their
//! figures beside them; `GET /console/metrics/annual?year=`: the annual
//! report as HTML (and `.md`). The figures are `app::reports`', the same
//! as `GET /api/v1/metrics` and `GET /api/v1/reports/annual`, over what
//! the caller may see; the window and year go through the API's parsers.

use super::charts::{SEVERITY_COLOURS, Series, line_chart};
use crate::app::App;
use crate::app::reports::{self, Step};
use crate::documents::{Mean, Metrics, annual_report_markdown};
use crate::domain::Role;
use crate::http::ApiError;
use crate::http::console::page::{Nope, render, said, value};
use crate::http::console::session::require;
use crate::http::responder::caller::permit;
use crate::http::responder::documents::{markdown, period_query, year_query};
use bytes::Bytes;
use chrono::{DateTime, Datelike, Utc};
use http::{HeaderValue, Request, Response, StatusCode, header};
use minijinja::{Value, context};

/// The console's default window: a year, by month.
const DEFAULT_DAYS: i64 = 365;

fn pairs(req: &Request<Bytes>) -> Vec<(String, String)> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect()
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn step_label(step: Step, from: DateTime<Utc>) -> String {
    match step {
        Step::Month => from.format("%Y-%m").to_string(),
        Step::Week => from.format("%d %b").to_string(),
    }
}

/// Seconds as the charts' unit: hours, or minutes when every mean is
/// under two hours.
fn unit(all: &[&Metrics]) -> (&'static str, f64) {
    let most = all
        .iter()
        .flat_map(|m| m.by_severity.iter())
        .flat_map(|s| [s.mtta.seconds, s.mttr.seconds])
        .flatten()
        .max()
        .unwrap_or(0);
    if most < 2 * 3600 {
        ("minutes", 60.0)
    } else {
        ("hours", 3600.0)
    }
}

fn in_unit(m: Mean, per: f64) -> Option<f64> {
    m.seconds.map(|s| s as f64 / per)
}

/// The page's form, and the API's refusal beside it when there is one.
fn form_ctx(sent: &[(String, String)], step: &str) -> Value {
    let get = |k: &str| {
        sent.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    context! { from => get("from"), to => get("to"), by => step }
}

pub(super) async fn page(app: &App, req: &Request<Bytes>) -> Result<Response<Bytes>, Nope> {
    let signed = require(app, req).await?;
    let caller = permit(&signed.caller, Role::Viewer)?;
    let sent = pairs(req);
    let by_raw = sent
        .iter()
        .find(|(k, _)| k == "by")
        .map(|(_, v)| v.as_str())
        .unwrap_or("month");
    let form = form_ctx(&sent, by_raw);
    let refused = |e: ApiError| {
        let field = e.code().strip_prefix("invalid_").map(str::to_owned);
        render(
            "console/metrics.html",
            e.status(),
            Some(&signed),
            context! { form, error => said(&e, req), error_field => field, section => "metrics" },
        )
    };
    let Some(step) = Step::parse(by_raw) else {
        let e = ApiError::BadRequest {
            code: "invalid_by",
            message: "by must be week or month".into(),
        };
        return Ok(refused(e));
    };
    let now = app.clock.now();
    let window = sent.iter().filter(|(k, _)| k != "by").cloned();
    let (from, to) = match period_query(window, now, DEFAULT_DAYS) {
        Ok(w) => w,
        Err(e) => return Ok(refused(e)),
    };
    let Some(windows) = reports::steps(from, to, step) else {
        let e = ApiError::BadRequest {
            code: "invalid_by",
            message: format!(
                "that range has more than {} steps: choose a shorter range or by month",
                reports::MAX_STEPS
            ),
        };
        return Ok(refused(e));
    };
    let trend = reports::trend(app, caller, from, to, &windows)
        .await
        .map_err(ApiError::from)?;
    let ctx = view(&trend, step, from, to);
    Ok(render(
        "console/metrics.html",
        StatusCode::OK,
        Some(&signed),
        context! { form, section => "metrics", ..ctx },
    ))
}

/// The charts, their tables and the summary for a trend.
pub(crate) fn view(
    trend: &reports::Trend,
    step: Step,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Value {
    let labels: Vec<String> = trend
        .steps
        .iter()
        .map(|m| step_label(step, m.from))
        .collect();
    let all: Vec<&Metrics> = trend.steps.iter().collect();
    let (unit_name, per) = unit(&all);
    let severities: Vec<&'static str> =
        trend.total.by_severity.iter().map(|s| s.severity).collect();
    let per_severity = |pick: fn(&crate::documents::SeverityMetrics) -> Mean| -> Vec<Series> {
        severities
            .iter()
            .enumerate()
            .map(|(k, name)| Series {
                name,
                color: SEVERITY_COLOURS[k.min(SEVERITY_COLOURS.len() - 1)],
                points: trend
                    .steps
                    .iter()
                    .map(|m| m.by_severity.get(k).and_then(|s| in_unit(pick(s), per)))
                    .collect(),
            })
            // A severity with no sample in the range draws nothing.
            .filter(|s| s.points.iter().any(Option::is_some))
            .collect()
    };
    let mtta = per_severity(|s| s.mtta);
    let mttr = per_severity(|s| s.mttr);
    let met = vec![Series {
        name: "All deadlines",
        color: RGBColor(0x16, 0x65, 0x34),
        points: trend
            .steps
            .iter()
            .map(|m| m.deadlines_met().2.map(|s| s * 100.0))
            .collect(),
    }];
    let chart = |id: &str, title: &str, y: &str, series: &[Series], top: f64| {
        line_chart(id, title, y, &labels, series, top).map(Value::from_safe_string)
    };
    let by = step.as_str();
    let range = format!("{} to {}", day(from), day(to));
    let charts = vec![
        context! {
            id => "mtta",
            heading => "Mean time to acknowledge",
            svg => chart("mtta", &format!("Mean time to acknowledge by severity, {unit_name}, per {by}, {range}"), unit_name, &mtta, 1.0),
            empty => mtta.is_empty(),
        },
        context! {
            id => "mttr",
            heading => "Mean time to resolve",
            svg => chart("mttr", &format!("Mean time to resolve by severity, {unit_name}, per {by}, {range}"), unit_name, &mttr, 1.0),
            empty => mttr.is_empty(),
        },
        context! {
            id => "met",
            heading => "Deadlines met on time",
            svg => chart("met", &format!("Share of deadlines met on time, percent, per {by}, {range}"), "percent met", &met, 100.0),
            empty => met[0].points.iter().all(Option::is_none),
        },
    ];
    let rows: Vec<Value> = trend
        .steps
        .iter()
        .zip(&labels)
        .map(|(m, label)| {
            let (met, judged, share) = m.deadlines_met();
            context! {
                label,
                total => m.total,
                severities => value(&m.by_severity.iter().map(|s| (s.mtta.label(), s.mttr.label())).collect::<Vec<_>>()),
                met, judged,
                share => share.map(|s| format!("{:.0}%", s * 100.0)),
            }
        })
        .collect();
    let (met, judged, share) = trend.total.deadlines_met();
    let years: Vec<i32> = (from.year()..=to.year()).rev().collect();
    context! {
        charts,
        rows,
        severities,
        total => value(&trend.total),
        mtta => trend.total.mtta.label(),
        mttr => trend.total.mttr.label(),
        met, judged,
        share => share.map(|s| format!("{:.0}%", s * 100.0)),
        by,
        range,
        years,
    }
}

use plotters::style::RGBColor;

/// `GET /console/metrics/annual?year=`: the annual report as a page.
pub(super) async fn annual(
    app: &App,
    req: &Request<Bytes>,
    as_markdown: bool,
) -> Result<Response<Bytes>, Nope> {
    let signed = require(app, req).await?;
    let caller = permit(&signed.caller, Role::Viewer)?;
    let now = app.clock.now();
    let year = year_query(pairs(req), now)?;
    let report = reports::annual(app, caller, year)
        .await
        .map_err(ApiError::from)?;
    if as_markdown {
        let mut resp = markdown(annual_report_markdown(&report));
        let name = format!("attachment; filename=\"annual-report-{year}.md\"");
        let h = resp.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&name) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        return Ok(resp);
    }
    let m = &report.metrics;
    Ok(render(
        "console/annual.html",
        StatusCode::OK,
        Some(&signed),
        context! {
            section => "metrics",
            r => value(&report),
            from => m.from.format("%Y-%m-%d %H:%M UTC").to_string(),
            to => m.to.format("%Y-%m-%d %H:%M UTC").to_string(),
            as_of => m.as_of.format("%Y-%m-%d %H:%M UTC").to_string(),
            prev => year - 1,
            next => (year < now.year()).then_some(year + 1),
        },
    ))
}
