//! What every comune page shares: header, navigation, breadcrumb, rating widget and footer.

use crate::i18n::Translator;
use crate::tenant::TenantContext;
use sportello_domain::rating::RatingAnswer;
use sportello_domain::{Lang, Tenant};

/// Sprite of Bootstrap Italia's icons.
pub(crate) const SPRITES: &str = "/static/vendor/bootstrap-italia/svg/sprites.svg";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    None,
    Services,
}

pub(crate) struct LanguageOption {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub active: bool,
}

pub(crate) struct Crumb {
    pub label: String,
    pub href: Option<String>,
}

impl Crumb {
    /// "Area personale", the parent of every page of the personal area.
    pub fn personal_area(ctx: &TenantContext) -> Crumb {
        Crumb {
            label: Translator::new(ctx.lang)
                .get("personal_area.title")
                .to_owned(),
            href: Some(format!("{}/area-personale/", ctx.base)),
        }
    }
}

/// The model's rating widget, shown at the bottom of content pages.
pub(crate) struct RatingWidget {
    /// Translation key of the question: the page's clarity, or the service's ease of use.
    pub question_key: &'static str,
    pub page: String,
    pub thanks: bool,
    pub stars: Vec<StarOption>,
    pub positive: Vec<AnswerOption>,
    pub negative: Vec<AnswerOption>,
    pub comment: String,
    /// Translation key of the problem with a refused submission.
    pub error_key: Option<&'static str>,
}

pub(crate) struct StarOption {
    pub value: u8,
    pub checked: bool,
    pub label: String,
}

pub(crate) struct AnswerOption {
    pub key: &'static str,
    pub label_key: String,
    pub checked: bool,
}

impl RatingWidget {
    pub fn new(t: Translator, page: String, thanks: bool) -> RatingWidget {
        RatingWidget::prefilled(t, page, thanks, 0, "", "")
    }

    /// A widget showing what the citizen entered, after a refused submission.
    pub fn prefilled(
        t: Translator,
        page: String,
        thanks: bool,
        stars: u8,
        answer: &str,
        comment: &str,
    ) -> RatingWidget {
        let options = |answers: [RatingAnswer; 5]| {
            answers
                .into_iter()
                .map(|a| AnswerOption {
                    key: a.key(),
                    label_key: format!("rating.answer.{}", a.key()),
                    checked: a.key() == answer,
                })
                .collect()
        };
        RatingWidget {
            question_key: "rating.question",
            page,
            thanks,
            // Highest first: the stars are laid out right to left so CSS can fill them.
            stars: (1..=5u8)
                .rev()
                .map(|value| StarOption {
                    value,
                    checked: value == stars,
                    label: if value == 1 {
                        t.get("rating.star_label_one").to_owned()
                    } else {
                        t.format("rating.stars_label", &[("n", &value.to_string())])
                    },
                })
                .collect(),
            positive: options(RatingAnswer::POSITIVE),
            negative: options(RatingAnswer::NEGATIVE),
            comment: comment.to_owned(),
            error_key: None,
        }
    }
}

pub(crate) struct Layout {
    pub t: Translator,
    pub lang: Lang,
    pub title: String,
    pub description: String,
    pub base: String,
    pub csrf: String,
    pub tenant: Tenant,
    pub languages: Vec<LanguageOption>,
    pub breadcrumbs: Vec<Crumb>,
    pub rating: Option<RatingWidget>,
    pub demo: bool,
    pub nav: Nav,
    pub sprites: &'static str,
    /// The signed-in person's name and its accessible label, for the header.
    pub user: Option<(String, String)>,
}

impl Layout {
    /// A page of the comune titled `title`, under `breadcrumbs` (Home is added in front).
    pub fn new(
        ctx: &TenantContext,
        title: String,
        description: String,
        breadcrumbs: Vec<Crumb>,
    ) -> Layout {
        let t = Translator::new(ctx.lang);
        let languages = Lang::ALL
            .into_iter()
            .map(|lang| LanguageOption {
                code: lang.code(),
                name: lang.native_name(),
                href: format!(
                    "{}/lingua/{}?next={}",
                    ctx.base,
                    lang.code(),
                    encode_path(&ctx.path)
                ),
                active: lang == ctx.lang,
            })
            .collect();
        let mut crumbs = vec![Crumb {
            label: t.get("nav.home").to_owned(),
            href: Some(format!("{}/", ctx.base)),
        }];
        crumbs.extend(breadcrumbs);
        Layout {
            t,
            lang: ctx.lang,
            title,
            description,
            base: ctx.base.clone(),
            csrf: ctx.csrf.clone(),
            tenant: ctx.tenant.clone(),
            languages,
            breadcrumbs: crumbs,
            rating: Some(RatingWidget::new(t, ctx.path.clone(), ctx.rating_thanks)),
            demo: ctx.state.0.config.demo,
            nav: Nav::None,
            sprites: SPRITES,
            user: ctx.user.as_ref().map(|u| {
                let name = u.display_name();
                let label = t.format("auth.signed_in_as", &[("name", &name)]);
                (name, label)
            }),
        }
    }

    /// A page directly under Home, titled by the translation `title_key`.
    pub fn titled(ctx: &TenantContext, title_key: &str) -> Layout {
        let title = Translator::new(ctx.lang).get(title_key).to_owned();
        let description = format!("{title} – {}", ctx.tenant.profile.name);
        let crumbs = vec![Crumb {
            label: title.clone(),
            href: None,
        }];
        Layout::new(ctx, title, description, crumbs)
    }

    pub fn with_nav(mut self, nav: Nav) -> Layout {
        self.nav = nav;
        self
    }

    pub fn without_rating(mut self) -> Layout {
        self.rating = None;
        self
    }

    pub fn is_services(&self) -> bool {
        self.nav == Nav::Services
    }

    /// `href` of a page of this comune.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Percent-encodes a path for use inside a query value.
pub(crate) fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode_path;

    #[test]
    fn paths_are_safe_in_a_query() {
        assert_eq!(
            encode_path("/borgoverde/servizi/permesso-ztl"),
            "/borgoverde/servizi/permesso-ztl"
        );
        assert_eq!(encode_path("/a b?c=d&e"), "/a%20b%3Fc%3Dd%26e");
        assert_eq!(encode_path("/città"), "/citt%C3%A0");
    }
}
