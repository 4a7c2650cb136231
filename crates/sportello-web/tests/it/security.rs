use crate::app_tests;
use crate::support::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

app_tests!(
    every_response_carries_the_security_headers,
    forms_without_the_anti_forgery_token_are_refused,
    cross_site_posts_are_refused,
    oversized_bodies_are_refused,
    tenant_content_is_escaped,
);

async fn every_response_carries_the_security_headers(app: TestApp) {
    for path in [
        "/borgoverde/",
        "/borgoverde/servizi/permesso-ztl",
        "/nessuno/",
        "/healthz",
        "/static/js/sportello.js",
    ] {
        let response = app.get(path).await;
        let csp = response.header("content-security-policy");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(
            !csp.contains("unsafe-inline") || path.ends_with("stemma"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(
            response.header("x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert_eq!(
            response.header("referrer-policy"),
            "strict-origin-when-cross-origin",
            "{path}"
        );
        assert_eq!(response.header("x-frame-options"), "DENY", "{path}");
    }
    let page = app.get("/borgoverde/").await;
    assert!(!page.body.contains("<script>"), "no inline script");
    assert!(!page.body.contains(" onclick="), "no inline handlers");
}

async fn forms_without_the_anti_forgery_token_are_refused(app: TestApp) {
    let body = "page=%2Fborgoverde%2F&stars=5";
    let no_cookie = app.post_form("/borgoverde/valutazione", None, body).await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);
    assert!(no_cookie.body.contains("Richiesta non consentita"));
    let token = app.csrf_token().await;
    let no_field = app
        .post_form("/borgoverde/valutazione", Some(&token), body)
        .await;
    assert_eq!(no_field.status, StatusCode::FORBIDDEN);
    let other = app.csrf_token().await;
    let wrong = app
        .post_form(
            "/borgoverde/valutazione",
            Some(&token),
            &format!("csrf={other}&{body}"),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let tenant = app.tenant("borgoverde").await;
    assert_eq!(
        app.store
            .scoped(tenant.id)
            .rating_summary("/borgoverde/")
            .await
            .unwrap()
            .count,
        0
    );
    let right = app
        .post_form(
            "/borgoverde/valutazione",
            Some(&token),
            &format!("csrf={token}&{body}"),
        )
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER);
    let page = app.get("/borgoverde/").await;
    assert!(
        page.body.contains("name=\"csrf\" value=\""),
        "forms carry the token"
    );
}

async fn cross_site_posts_are_refused(app: TestApp) {
    let token = app.csrf_token().await;
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let request = Request::post("/borgoverde/valutazione")
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("csrf={token}"))
            .header(name, value)
            .body(Body::from(format!(
                "csrf={token}&page=%2Fborgoverde%2F&stars=4"
            )))
            .unwrap();
        assert_eq!(
            app.send(request).await.status,
            StatusCode::FORBIDDEN,
            "{name}: {value}"
        );
    }
    let same_origin = Request::post("/borgoverde/valutazione")
        .header(header::HOST, "localhost:8080")
        .header(header::ORIGIN, "http://localhost:8080")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("csrf={token}"))
        .body(Body::from(format!(
            "csrf={token}&page=%2Fborgoverde%2F&stars=4"
        )))
        .unwrap();
    assert_eq!(app.send(same_origin).await.status, StatusCode::SEE_OTHER);
}

async fn oversized_bodies_are_refused(app: TestApp) {
    let token = app.csrf_token().await;
    let body = format!("csrf={token}&comment={}", "a".repeat(200 * 1024));
    let response = app
        .post_form("/borgoverde/valutazione", Some(&token), &body)
        .await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
}

async fn tenant_content_is_escaped(app: TestApp) {
    let (mut definition, logo) = crate::support::demo_definition("valdoro");
    definition.slug = sportello_domain::Slug::parse("xss").unwrap();
    definition.profile.name = "Comune di <script>alert(1)</script>".into();
    definition.services[0].title.it = "<img src=x onerror=alert(1)>".into();
    let slug = definition.services[0].slug.clone();
    app.store
        .import_tenant(&definition, &logo, "test")
        .await
        .unwrap();
    let page = app.get(&format!("/xss/servizi/{slug}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<script>alert(1)</script>"));
    assert!(!page.body.contains("<img src=x"));
    assert!(
        page.body.contains("&#60;img src=x onerror=alert(1)&#62;"),
        "the title is shown, escaped"
    );
    let json_ld_start = page.body.find("application/ld+json").unwrap();
    let json_ld = &page.body
        [json_ld_start..json_ld_start + page.body[json_ld_start..].find("</script>").unwrap()];
    assert!(
        !json_ld[30..].contains('<'),
        "the JSON-LD block cannot close its script element"
    );
}

/// Production runs over HTTPS: the anti-forgery cookie is `__Host-` prefixed and `Secure`, so
/// no sub-domain can plant one, and browsers are told never to fall back to HTTP.
#[tokio::test]
async fn over_https_cookies_are_host_bound_and_hsts_is_sent() {
    let store = sportello_store::testing::sqlite_store().await;
    let app = TestApp::with_config(store, sportello_web::WebConfig::default()).await;
    let page = app.get("/borgoverde/").await;
    let cookie = page.header("set-cookie");
    assert!(cookie.starts_with("__Host-csrf="), "{cookie}");
    for attribute in ["; Path=/", "; HttpOnly", "; Secure", "; SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(
        page.header("strict-transport-security")
            .starts_with("max-age=")
    );
    let token = page.cookie("__Host-csrf").unwrap();
    let plain_name = app
        .post_form(
            "/borgoverde/valutazione",
            Some(&token),
            &format!("csrf={token}&page=%2Fborgoverde%2F&stars=3"),
        )
        .await;
    assert_eq!(
        plain_name.status,
        StatusCode::FORBIDDEN,
        "a cookie without the __Host- prefix is not accepted over HTTPS"
    );
    let switch = app.get("/borgoverde/lingua/en").await;
    assert!(switch.header("set-cookie").contains("; Secure"));
}
