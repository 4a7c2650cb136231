//! The permit as a document (A4 PDF with a QR code) and the public page its QR code opens:
//! whether the permit is valid now, with nothing personal beyond what the permit shows.

use crate::WebError;
use crate::pages::layout::Layout;
use crate::pages::render;
use crate::requests::pratiche::own_pratica;
use crate::requests::signed_in;
use crate::tenant::TenantContext;
use askama::Template;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sportello_documents::VerificationCode;
use sportello_domain::calendar;
use sportello_domain::form::format_date;
use sportello_domain::pratica::PraticaState;
use sportello_domain::procedure::ProcedureKind;
use sportello_store::StoredPratica;
use uuid::Uuid;

pub(crate) use crate::workflow::decisions::permit_rows;

/// The permit of an issued pratica, as a PDF.
pub(crate) async fn permit_document(
    ctx: &TenantContext,
    pratica: &StoredPratica,
) -> Result<Vec<u8>, WebError> {
    crate::workflow::decisions::permit_pdf(&ctx.state, &ctx.tenant, pratica, ctx.lang).await
}

pub(crate) fn pdf_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /area-personale/pratiche/{id}/permesso.pdf`.
pub(crate) async fn citizen_pdf(
    ctx: TenantContext,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, WebError> {
    let user = signed_in(&ctx)?;
    let pratica = own_pratica(&ctx, user, id).await?;
    permit_response(&ctx, &pratica).await
}

/// The permit of `pratica` as a PDF download named after its protocol number.
pub(crate) async fn permit_response(
    ctx: &TenantContext,
    pratica: &StoredPratica,
) -> Result<Response, WebError> {
    let bytes = permit_document(ctx, pratica).await?;
    Ok(pdf_response(
        &format!(
            "permesso-{}.pdf",
            pratica.protocol.to_string().replace('/', "-")
        ),
        bytes,
    ))
}

/// The letter sent with event `seq` of `pratica` as a PDF download.
pub(crate) async fn letter_response(
    ctx: &TenantContext,
    pratica: &StoredPratica,
    seq: u64,
) -> Result<Response, WebError> {
    let bytes =
        crate::workflow::decisions::decision_pdf(&ctx.state, &ctx.tenant, pratica, seq, ctx.lang)
            .await?;
    Ok(pdf_response(
        &format!(
            "lettera-{}-{seq}.pdf",
            pratica.protocol.to_string().replace('/', "-")
        ),
        bytes,
    ))
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    layout: Layout,
    found: bool,
    valid: bool,
    status: String,
    title: String,
    number: String,
    valid_from: String,
    valid_until: String,
    rows: Vec<(String, String)>,
}

/// `GET /verifica/{code}`: public, for whoever checks a permit (a traffic warden, a shop).
/// A code that does not verify is the same "not found" as an unknown permit.
pub(crate) async fn verify(
    ctx: TenantContext,
    Path((_, code)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let t = crate::i18n::Translator::new(ctx.lang);
    let lang = ctx.lang;
    let layout = Layout::titled(&ctx, "verify.title").without_rating();
    let key = &ctx.state.documents()?.verification;
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let pratica = match VerificationCode::verify(key, &code) {
        Ok(id) => scope
            .pratica_by_permit_code(&code)
            .await?
            .filter(|p| p.id == id),
        Err(_) => None,
    };
    let Some(pratica) = pratica else {
        let page = VerifyPage {
            layout,
            found: false,
            valid: false,
            status: t.get("verify.unknown").to_owned(),
            title: String::new(),
            number: String::new(),
            valid_from: String::new(),
            valid_until: String::new(),
            rows: Vec::new(),
        };
        return Ok((StatusCode::NOT_FOUND, render(&page)?).into_response());
    };
    let today = calendar::local_date(jiff::Timestamp::now());
    let validity = pratica.pratica.permit();
    let valid = pratica.state() == PraticaState::PermitIssued
        && validity.is_some_and(|v| v.contains(today));
    let status = match pratica.state() {
        PraticaState::PermitIssued if valid => t.get("verify.valid"),
        PraticaState::PermitIssued => t.get("verify.not_in_period"),
        PraticaState::Revoked => t.get("verify.revoked"),
        PraticaState::Renewed => t.get("verify.renewed"),
        _ => t.get("verify.expired"),
    };
    let service = scope.service(pratica.service_slug.as_str()).await?;
    let procedure = scope
        .procedure_version(pratica.service_slug.as_str(), pratica.service_version)
        .await?;
    let is_badge = procedure.is_some_and(|v| v.procedure.kind == ProcedureKind::DisabledBadge);
    let page = VerifyPage {
        layout,
        found: true,
        valid,
        status: status.to_owned(),
        title: service
            .map(|s| s.title.get(lang).to_owned())
            .unwrap_or_default(),
        number: pratica.protocol.to_string(),
        valid_from: validity.map(|v| format_date(v.from())).unwrap_or_default(),
        valid_until: validity.map(|v| format_date(v.until())).unwrap_or_default(),
        rows: if is_badge {
            Vec::new()
        } else {
            permit_rows(&pratica, lang)
                .into_iter()
                .map(|r| (r.label, r.value))
                .collect()
        },
    };
    Ok(render(&page)?.into_response())
}
