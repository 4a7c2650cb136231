//! Receiving the page rating. A valid rating is stored and the citizen goes back to the page,
//! which thanks them; an invalid one gets a page that explains the problem and keeps what was
//! entered.

use super::layout::{Layout, RatingWidget};
use super::render;
use crate::WebError;
use crate::i18n::Translator;
use crate::tenant::TenantContext;
use askama::Template;
use axum::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sportello_domain::rating::{PageRating, RatingAnswer, RatingError, Stars};

#[derive(Deserialize, Default)]
pub(crate) struct RatingForm {
    #[serde(default)]
    page: String,
    stars: Option<String>,
    answer: Option<String>,
    comment: Option<String>,
}

#[derive(Template)]
#[template(path = "rating.html")]
struct RatingPage {
    layout: Layout,
    widget: RatingWidget,
}

/// Whether `page` is a page of this comune (under `base`): the only pages rated here, and the
/// only ones a refused rating links back to.
fn is_comune_page(page: &str, base: &str) -> bool {
    page.starts_with(&format!("{base}/")) && !page.starts_with("//")
}

fn parse(form: &RatingForm, base: &str) -> Result<PageRating, &'static str> {
    let stars = form
        .stars
        .as_deref()
        .and_then(|s| s.parse::<u8>().ok())
        .and_then(|s| Stars::new(s).ok())
        .ok_or("rating.error.stars")?;
    let answer = match form.answer.as_deref().filter(|a| !a.is_empty()) {
        Some(key) => Some(RatingAnswer::from_key(key).ok_or("rating.error.answer")?),
        None => None,
    };
    if !is_comune_page(&form.page, base) {
        return Err("rating.error.page");
    }
    PageRating::new(&form.page, stars, answer, form.comment.as_deref()).map_err(|e| match e {
        RatingError::StarsOutOfRange => "rating.error.stars",
        RatingError::AnswerDoesNotMatchStars { .. } => "rating.error.answer",
        RatingError::CommentTooLong { .. } => "rating.error.comment",
        RatingError::InvalidPage => "rating.error.page",
    })
}

pub(crate) async fn submit(
    ctx: TenantContext,
    Form(form): Form<RatingForm>,
) -> Result<Response, WebError> {
    match parse(&form, &ctx.base) {
        Ok(rating) => {
            ctx.state
                .store()
                .scoped(ctx.tenant.id)
                .record_rating(&rating, ctx.lang)
                .await?;
            Ok(
                Redirect::to(&format!("{}?valutazione=grazie#valutazione", rating.page()))
                    .into_response(),
            )
        }
        Err(error_key) => {
            let t = Translator::new(ctx.lang);
            let page = if is_comune_page(&form.page, &ctx.base) {
                form.page.clone()
            } else {
                format!("{}/", ctx.base)
            };
            let layout = Layout::titled(&ctx, "rating.page_title").without_rating();
            let mut widget = RatingWidget::prefilled(
                t,
                page,
                false,
                form.stars
                    .as_deref()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0),
                form.answer.as_deref().unwrap_or_default(),
                form.comment.as_deref().unwrap_or_default(),
            );
            widget.error_key = Some(error_key);
            let body = RatingPage { layout, widget };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&body)?).into_response())
        }
    }
}
