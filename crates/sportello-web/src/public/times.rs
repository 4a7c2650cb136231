//! The monitoring of procedure times each comune publishes (d.lgs. 33/2013 art. 35): per
//! online service, the requests received and decided in a year, the average and 90th
//! percentile of the days to a decision, and the share decided within the term.

use crate::WebError;
use crate::pages::layout::Layout;
use crate::pages::render;
use crate::tenant::TenantContext;
use askama::Template;
use axum::response::{IntoResponse, Response};
use sportello_domain::calendar;
use sportello_store::QueueFilter;

pub(crate) struct ServiceTimes {
    pub service: String,
    pub received: usize,
    pub decided: usize,
    pub average_days: String,
    pub p90_days: String,
    pub within_term: String,
}

pub(crate) struct YearTimes {
    pub year: i16,
    pub services: Vec<ServiceTimes>,
}

#[derive(Template)]
#[template(path = "public_times.html")]
struct TimesPage {
    layout: Layout,
    years: Vec<YearTimes>,
}

/// The value at the 90th percentile (nearest rank) of sorted values.
fn percentile_90(sorted: &[i64]) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (sorted.len() * 9).div_ceil(10).max(1);
    sorted.get(rank - 1).copied()
}

pub(crate) async fn show(ctx: TenantContext) -> Result<Response, WebError> {
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let calendar = &ctx.tenant.profile.calendar;
    let mut all = Vec::new();
    for office in scope.offices().await? {
        all.extend(
            scope
                .office_queue(office.id.as_str(), &QueueFilter::default())
                .await?,
        );
    }
    let this_year = calendar::local_date(jiff::Timestamp::now()).year();
    let services = scope.services().await?;
    let mut years = Vec::new();
    for year in [this_year, this_year - 1] {
        let mut rows = Vec::new();
        for service in services.iter().filter(|s| s.procedure.is_some()) {
            let of_service = all.iter().filter(|p| p.service_slug == service.slug);
            let received = of_service
                .clone()
                .filter(|p| calendar::local_date(p.pratica.submitted_at()).year() == year)
                .count();
            let decided: Vec<_> = of_service
                .filter(|p| {
                    p.pratica
                        .decided_at()
                        .is_some_and(|at| calendar::local_date(at).year() == year)
                })
                .collect();
            let mut days: Vec<i64> = decided
                .iter()
                .filter_map(|p| {
                    let decided = calendar::local_date(p.pratica.decided_at()?);
                    let received = calendar::local_date(p.pratica.submitted_at());
                    Some(i64::from((decided - received).get_days()))
                })
                .collect();
            days.sort_unstable();
            let within = decided
                .iter()
                .filter(|p| p.pratica.decided_within_term(calendar) == Some(true))
                .count();
            let dash = || "–".to_owned();
            rows.push(ServiceTimes {
                service: service.title.get(ctx.lang).to_owned(),
                received,
                decided: decided.len(),
                average_days: if days.is_empty() {
                    dash()
                } else {
                    format!("{:.1}", days.iter().sum::<i64>() as f64 / days.len() as f64)
                        .replace('.', ",")
                },
                p90_days: percentile_90(&days).map_or_else(dash, |d| d.to_string()),
                within_term: if decided.is_empty() {
                    dash()
                } else {
                    format!("{} %", within * 100 / decided.len())
                },
            });
        }
        years.push(YearTimes {
            year,
            services: rows,
        });
    }
    let page = TimesPage {
        layout: Layout::titled(&ctx, "times.title"),
        years,
    };
    Ok(render(&page)?.into_response())
}

#[cfg(test)]
mod tests {
    use super::percentile_90;

    #[test]
    fn the_90th_percentile_is_the_nearest_rank() {
        assert_eq!(percentile_90(&[]), None);
        assert_eq!(percentile_90(&[7]), Some(7));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile_90(&ten), Some(9));
        let eleven: Vec<i64> = (1..=11).collect();
        assert_eq!(percentile_90(&eleven), Some(10));
    }
}
