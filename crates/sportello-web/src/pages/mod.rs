//! The portal's pages, one module per page (or family of small pages).

pub(crate) mod catalogue;
pub(crate) mod home;
pub(crate) mod info;
pub(crate) mod layout;
pub(crate) mod rating;
pub(crate) mod root;
pub(crate) mod service_sheet;

use crate::WebError;
use askama::Template;
use axum::response::Html;

/// Renders a page; askama escapes every value unless a template says otherwise.
pub(crate) fn render(page: &impl Template) -> Result<Html<String>, WebError> {
    Ok(Html(page.render()?))
}
