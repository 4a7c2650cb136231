//! The service sheet (scheda servizio) of the Designers Italia model for comuni: the items, in
//! the model's order and wording, with its `data-element` markers and JSON-LD metadata.

use super::layout::{Crumb, Layout, Nav};
use super::render;
use crate::WebError;
use crate::auth::sign_in_required;
use crate::i18n::Translator;
use crate::tenant::TenantContext;
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use sportello_domain::{Lang, Office, Service, ServiceAccess, ServiceStatus};
use sportello_spid::SpidLevel;

/// One entry of the page index, and the section it points to.
pub(crate) struct Section {
    pub id: &'static str,
    pub label: String,
}

#[derive(Template)]
#[template(path = "service.html")]
struct ServicePage {
    layout: Layout,
    service: Service,
    office: Option<Office>,
    sections: Vec<Section>,
    json_ld: String,
    /// The public fee calculator, for services charged with the canone unico.
    fee_calculator: Option<String>,
}

fn sections(service: &Service, t: Translator) -> Vec<Section> {
    let mut ids = vec!["a-chi-e-rivolto"];
    if service.description.is_some() {
        ids.push("descrizione");
    }
    ids.extend([
        "come-fare",
        "cosa-serve",
        "cosa-si-ottiene",
        "tempi-e-scadenze",
    ]);
    if service.costs.is_some() {
        ids.push("costi");
    }
    ids.extend(["accedi-al-servizio", "condizioni-di-servizio", "contatti"]);
    ids.into_iter()
        .map(|id| Section {
            id,
            label: t.get(&format!("service.section.{id}")).to_owned(),
        })
        .collect()
}

/// The model's `metatag`: a schema.org GovernmentService, as strict JSON that is safe to place
/// inside a `<script>` element (no `<`, `>` or `&` survive unescaped).
fn json_ld(service: &Service, office: Option<&Office>, ctx: &TenantContext) -> String {
    let lang = ctx.lang;
    let profile = &ctx.tenant.profile;
    let mut value = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "GovernmentService",
        "name": service.title.get(lang),
        "description": service.short_description.get(lang),
        "serviceType": service.category.label(lang),
        "serviceOperator": { "@type": "GovernmentOrganization", "name": profile.name },
        "areaServed": { "@type": "AdministrativeArea", "name": profile.address.city },
        "audience": { "@type": "Audience", "audienceType": service.audience.get(lang).paragraphs.join(" ") },
        "availableChannel": {
            "@type": "ServiceChannel",
            "name": Translator::new(lang).get("service.section.accedi-al-servizio"),
            "availableLanguage": { "@type": "Language", "name": if lang == Lang::It { "Italiano" } else { "English" }, "alternateName": lang.code() }
        }
    });
    if let Some(office) = office {
        value["availableChannel"]["serviceLocation"] = serde_json::json!({
            "@type": "Place",
            "name": office.name.get(lang),
            "address": { "@type": "PostalAddress", "streetAddress": office.address, "addressLocality": profile.address.city, "postalCode": profile.address.postal_code }
        });
    }
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

async fn load(ctx: &TenantContext, slug: &str) -> Result<(Service, Option<Office>), WebError> {
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let service = scope.service(slug).await?.ok_or(WebError::NotFound)?;
    let office = scope.office(service.office.as_str()).await?;
    Ok((service, office))
}

fn crumbs(ctx: &TenantContext, service: &Service, t: Translator) -> Vec<Crumb> {
    vec![
        Crumb {
            label: t.get("catalogue.title").to_owned(),
            href: Some(format!("{}/servizi", ctx.base)),
        },
        Crumb {
            label: service.category.label(ctx.lang).to_owned(),
            href: Some(format!("{}/servizi#{}", ctx.base, service.category.key())),
        },
        Crumb {
            label: service.title.get(ctx.lang).to_owned(),
            href: None,
        },
    ]
}

pub(crate) async fn show(
    ctx: TenantContext,
    Path((_, slug)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (service, office) = load(&ctx, &slug).await?;
    let t = Translator::new(ctx.lang);
    let layout = Layout::new(
        &ctx,
        service.title.get(ctx.lang).to_owned(),
        service.short_description.get(ctx.lang).to_owned(),
        crumbs(&ctx, &service, t),
    )
    .with_nav(Nav::Services);
    let fee_calculator = service
        .procedure
        .as_ref()
        .filter(|p| {
            p.kind == sportello_domain::procedure::ProcedureKind::PublicLandOccupation
                && ctx.tenant.profile.rules.canone.is_some()
        })
        .map(|_| format!("{}/servizi/{}/calcolo-canone", ctx.base, service.slug));
    let page = ServicePage {
        fee_calculator,
        sections: sections(&service, t),
        json_ld: json_ld(&service, office.as_ref(), &ctx),
        layout,
        service,
        office,
    };
    Ok(render(&page)?.into_response())
}

/// Where "Accedi al servizio" leads for a service handled online: SPID/CIE login first (at
/// the level the service needs), then the request itself.
pub(crate) async fn request(
    ctx: TenantContext,
    Path((_, slug)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (service, office) = load(&ctx, &slug).await?;
    if !service.is_online() {
        return Err(WebError::NotFound);
    }
    let t = Translator::new(ctx.lang);
    let mut breadcrumbs = crumbs(&ctx, &service, t);
    if let Some(last) = breadcrumbs.last_mut() {
        last.href = Some(format!("{}/servizi/{}", ctx.base, service.slug));
    }
    breadcrumbs.push(Crumb {
        label: t.get("auth.service_request_title").to_owned(),
        href: None,
    });
    let layout = Layout::new(
        &ctx,
        t.get("auth.service_request_title").to_owned(),
        service.title.get(ctx.lang).to_owned(),
        breadcrumbs,
    )
    .with_nav(Nav::Services)
    .without_rating();
    let needed = SpidLevel::from_number(service.login_level.number()).unwrap_or(SpidLevel::L2);
    match &ctx.user {
        Some(user) if user.session.level >= needed.number() => {
            crate::requests::journey::start_page(&ctx, user, service).await
        }
        signed_in => sign_in_required(
            &ctx,
            layout,
            "auth.sign_in_for_service",
            needed,
            signed_in.is_some(),
            Some(service),
            office,
        ),
    }
}
