//! The citizen's payments as JSON, under `/api/v1/me/payments`: what they owe and paid, each
//! notice with its code and due date, and starting the pagoPA Checkout. Same rules as the
//! portal's pages (`crate::payments`).

use super::{ApiContext, ApiError, json_body};
use crate::payments::{PayRefusal, own_position, start_checkout, state_label};
use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sportello_domain::Lang;
use sportello_store::payments::{Receipt, StoredPosition};
use uuid::Uuid;

fn position_json(base: &str, stored: &StoredPosition, receipts: &[Receipt], lang: Lang) -> Value {
    let url = format!("{base}/area-personale/pagamenti/{}", stored.id);
    json!({
        "id": stored.id,
        "state": { "key": stored.state.key(), "label": state_label(stored.state, lang) },
        "amount": stored.position.total().get(),
        "creditor": stored.position.company_name,
        "pratica": stored.pratica,
        "options": stored.position.options.iter().map(|o| {
            let receipt = receipts.iter().find(|r| r.notice_number == o.notice_number.as_str());
            json!({
                "notice_number": o.notice_number.as_str(),
                "notice_number_printed": o.notice_number.printed(),
                "description": o.description,
                "amount": o.amount().get(),
                "due_date": o.due_date.to_string(),
                "instalment": o.instalment,
                "paid_at": receipt.map(|r| r.paid_at.to_string()),
                "receipt_pdf": receipt.map(|r| format!("{url}/ricevute/{}", r.notice_number)),
            })
        }).collect::<Vec<_>>(),
        "notice_pdf": format!("{url}/avviso.pdf"),
        "url": url,
    })
}

/// `GET /me/payments`: the signed-in person's positions, newest first.
pub(crate) async fn list(api: ApiContext) -> Result<Response, ApiError> {
    let user = api.user()?;
    let ctx = &api.0;
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let positions = scope
        .positions_of_debtor(user.user.fiscal_code.as_str(), 200)
        .await
        .map_err(|e| api.fail(e))?;
    let mut list = Vec::with_capacity(positions.len());
    for stored in &positions {
        let receipts = scope
            .receipts_of_position(stored.id)
            .await
            .map_err(|e| api.fail(e))?;
        list.push(position_json(&ctx.base, stored, &receipts, ctx.lang));
    }
    Ok(Json(list).into_response())
}

/// `GET /me/payments/{id}`.
pub(crate) async fn show(
    api: ApiContext,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, ApiError> {
    api.user()?;
    let ctx = &api.0;
    let stored = own_position(ctx, id).await.map_err(|e| api.fail(e))?;
    let receipts = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .receipts_of_position(stored.id)
        .await
        .map_err(|e| api.fail(e))?;
    Ok(Json(position_json(&ctx.base, &stored, &receipts, ctx.lang)).into_response())
}

#[derive(Deserialize)]
struct CheckoutRequest {
    notice_number: Option<String>,
}

/// `POST /me/payments/{id}/checkout`: starts the pagoPA Checkout; answers where to send the
/// citizen's browser.
pub(crate) async fn checkout(
    api: ApiContext,
    Path((_, id)): Path<(String, Uuid)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    api.user()?;
    let ctx = &api.0;
    let request: Option<CheckoutRequest> = json_body(&body, ctx.lang)?;
    let stored = own_position(ctx, id).await.map_err(|e| api.fail(e))?;
    let wanted = request.as_ref().and_then(|r| r.notice_number.as_deref());
    match start_checkout(ctx, &stored, wanted).await {
        Ok(location) => {
            Ok((StatusCode::OK, Json(json!({ "checkout_url": location }))).into_response())
        }
        Err(PayRefusal::NothingToPay) => Err(ApiError::refused(
            &sportello_domain::text::LocalizedText {
                it: "Non c'è nulla da pagare in questo avviso.".into(),
                en: Some("There is nothing to pay in this notice.".into()),
            },
            ctx.lang,
        )),
        Err(PayRefusal::NotReady) => Err(ApiError::refused(
            &sportello_domain::text::LocalizedText {
                it: "L'avviso non è ancora pagabile: riprova tra qualche minuto.".into(),
                en: Some("The notice cannot be paid yet: try again in a few minutes.".into()),
            },
            ctx.lang,
        )),
        Err(PayRefusal::Unavailable) => Err(api.fail(crate::WebError::Unavailable)),
    }
}
