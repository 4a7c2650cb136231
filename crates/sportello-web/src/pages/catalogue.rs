//! The service catalogue ("Servizi"): every service of the comune by category, with a search.

use super::layout::{Crumb, Layout, Nav};
use super::render;
use crate::WebError;
use crate::i18n::Translator;
use crate::tenant::TenantContext;
use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sportello_domain::{Lang, Service, ServiceAccess, ServiceCategory};

#[derive(Deserialize)]
pub(crate) struct Search {
    q: Option<String>,
}

pub(crate) struct CategoryGroup {
    pub category: ServiceCategory,
    pub services: Vec<Service>,
}

#[derive(Template)]
#[template(path = "catalogue.html")]
struct CataloguePage {
    layout: Layout,
    query: String,
    summary: String,
    groups: Vec<CategoryGroup>,
}

pub(crate) fn count_by_category(services: &[Service]) -> Vec<(ServiceCategory, usize)> {
    ServiceCategory::ALL
        .into_iter()
        .map(|c| (c, services.iter().filter(|s| s.category == c).count()))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// Case- and accent-insensitive match on title, short description and topics.
fn matches(service: &Service, lang: Lang, words: &[String]) -> bool {
    let haystack = fold(&format!(
        "{} {} {} {}",
        service.title.get(lang),
        service.short_description.get(lang),
        service.category.label(lang),
        service
            .topics
            .iter()
            .map(|t| t.get(lang))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    words.iter().all(|w| haystack.contains(w.as_str()))
}

fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'à' | 'á' | 'À' | 'Á' => 'a',
            'è' | 'é' | 'È' | 'É' => 'e',
            'ì' | 'í' | 'Ì' | 'Í' => 'i',
            'ò' | 'ó' | 'Ò' | 'Ó' => 'o',
            'ù' | 'ú' | 'Ù' | 'Ú' => 'u',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

pub(crate) async fn show(
    ctx: TenantContext,
    Query(search): Query<Search>,
) -> Result<Response, WebError> {
    let services = ctx.state.store().scoped(ctx.tenant.id).services().await?;
    let t = Translator::new(ctx.lang);
    let query = search
        .q
        .unwrap_or_default()
        .chars()
        .take(100)
        .collect::<String>();
    let words: Vec<String> = fold(&query).split_whitespace().map(str::to_owned).collect();
    let total = services.len();
    let mut groups: Vec<CategoryGroup> = ServiceCategory::ALL
        .into_iter()
        .map(|category| CategoryGroup {
            category,
            services: Vec::new(),
        })
        .collect();
    for service in services
        .into_iter()
        .filter(|s| matches(s, ctx.lang, &words))
    {
        if let Some(group) = groups.iter_mut().find(|g| g.category == service.category) {
            group.services.push(service);
        }
    }
    groups.retain(|g| !g.services.is_empty());
    let shown: usize = groups.iter().map(|g| g.services.len()).sum();
    let title = t.get("catalogue.title").to_owned();
    let description = t.format(
        "catalogue.description",
        &[("comune", &ctx.tenant.profile.name)],
    );
    let layout = Layout::new(
        &ctx,
        title.clone(),
        description,
        vec![Crumb {
            label: title,
            href: None,
        }],
    )
    .with_nav(Nav::Services);
    let summary = if query.is_empty() {
        t.format("catalogue.count", &[("n", &total.to_string())])
    } else {
        t.format(
            "catalogue.results",
            &[("n", &shown.to_string()), ("q", &query)],
        )
    };
    Ok(render(&CataloguePage {
        layout,
        query,
        summary,
        groups,
    })?
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn search_ignores_case_and_accents() {
        assert_eq!(fold("Mobilità e TRASPORTI"), "mobilita e trasporti");
    }
}
