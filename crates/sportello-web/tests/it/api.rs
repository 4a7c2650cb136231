use crate::app_tests;
use crate::support::TestApp;
use axum::http::StatusCode;
use serde_json::Value;

app_tests!(
    every_documented_path_answers_with_its_required_fields,
    every_route_of_the_api_is_documented,
    the_fee_quote_is_the_domain_quote,
    a_permit_code_that_does_not_verify_is_not_found,
    the_catalogue_as_json_follows_the_language,
    errors_are_problem_details,
    the_api_of_one_comune_never_shows_another,
);

/// Resolves `$ref` and `allOf` far enough to list the required properties of a schema.
fn required_fields(document: &Value, schema: &Value) -> Vec<String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return required_fields(document, &document["components"]["schemas"][name]);
    }
    let mut fields: Vec<String> = schema["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        fields.extend(required_fields(document, part));
    }
    fields
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

async fn every_documented_path_answers_with_its_required_fields(app: TestApp) {
    let response = app.get("/borgoverde/api/v1/openapi.json").await;
    assert_eq!(response.status, StatusCode::OK);
    let document = json(&response.body);
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["servers"][0]["url"], "/borgoverde/api/v1");
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 4);
    for (path, item) in paths {
        // Lookups without a session and without parameters to invent; the others have
        // their own tests below.
        let get = &item["get"];
        let needs_more = get["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["required"] == true && !(p["in"] == "path" && p["name"] == "service"));
        if get.is_null() || get.get("security").is_some() || needs_more {
            continue;
        }
        let concrete = path.replace("{service}", "permesso-ztl");
        let response = app.get(&format!("/borgoverde/api/v1{concrete}")).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert!(
            response
                .header("content-type")
                .starts_with("application/json"),
            "{path}"
        );
        let schema = &item["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        let body = json(&response.body);
        let sample = if schema["type"] == "array" {
            body[0].clone()
        } else {
            body
        };
        let schema = if schema["type"] == "array" {
            &schema["items"]
        } else {
            schema
        };
        for field in required_fields(&document, schema) {
            assert!(
                sample.get(&field).is_some(),
                "{path}: required field {field} missing in {sample}"
            );
        }
    }
}

async fn the_catalogue_as_json_follows_the_language(app: TestApp) {
    let it = json(&app.get("/valdoro/api/v1/services").await.body);
    let tenant = app.tenant("valdoro").await;
    let catalogue = app.store.scoped(tenant.id).services().await.unwrap();
    assert_eq!(it.as_array().unwrap().len(), catalogue.len());
    let ztl = it
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["slug"] == "permesso-ztl")
        .unwrap();
    assert_eq!(ztl["access"], "online");
    assert_eq!(ztl["url"], "/valdoro/servizi/permesso-ztl");
    assert_eq!(ztl["category"]["label"], "Mobilità e trasporti");
    let en = json(
        &app.get_in("/valdoro/api/v1/services/permesso-ztl", "en")
            .await
            .body,
    );
    assert_eq!(en["category"]["label"], "Mobility and transport");
    let service = catalogue
        .iter()
        .find(|s| s.slug.as_str() == "permesso-ztl")
        .unwrap();
    assert_eq!(en["title"], service.title.en.clone().unwrap());
    assert!(
        en["office"]["phone"]
            .as_str()
            .is_some_and(|p| !p.is_empty())
    );
}

async fn errors_are_problem_details(app: TestApp) {
    let missing = app.get("/borgoverde/api/v1/services/non-esiste").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.header("content-type"), "application/problem+json");
    let problem = json(&missing.body);
    assert_eq!(
        (problem["status"].as_u64(), problem["title"].as_str()),
        (Some(404), Some("Pagina non trovata"))
    );
    let english = app
        .get_in("/borgoverde/api/v1/services/non-esiste", "en")
        .await;
    assert_eq!(json(&english.body)["title"], "Page not found");
    let unknown = app.get("/nessuno/api/v1/services").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(json(&unknown.body)["title"], "Comune non trovato");
}

async fn the_api_of_one_comune_never_shows_another(app: TestApp) {
    assert_eq!(
        app.get("/valdoro/api/v1/services/mensa-scolastica")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/borgoverde/api/v1/services/mensa-scolastica")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let list = app.get("/borgoverde/api/v1/services").await.body;
    assert!(!list.contains("mensa-scolastica"));
    assert_eq!(
        json(&app.get("/borgoverde/api/v1/comune").await.body)["codice_fiscale"],
        "80000123457"
    );
}

/// The API's routes as the router declares them (the `/api/v1/…` literals of the modules
/// that mount them), each with its methods.
fn declared_routes() -> Vec<(String, Vec<&'static str>)> {
    let sources = [
        include_str!("../../src/lib.rs"),
        include_str!("../../src/api/mod.rs"),
        include_str!("../../src/public/mod.rs"),
    ];
    let mut routes = Vec::new();
    for source in sources {
        let mut rest = source;
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            let call = &rest[..rest.find(".route(").unwrap_or(rest.len())];
            let Some(path) = call.trim_start().strip_prefix("\"/api/v1/") else {
                continue;
            };
            let path = format!("/{}", &path[..path.find('"').unwrap()]);
            let methods = ["get", "post", "put", "delete"]
                .into_iter()
                .filter(|m| call.contains(&format!("{m}(")))
                .collect();
            routes.push((path, methods));
        }
    }
    routes
}

async fn every_route_of_the_api_is_documented(app: TestApp) {
    let document = json(&app.get("/borgoverde/api/v1/openapi.json").await.body);
    let routes = declared_routes();
    assert!(routes.len() >= 16, "{routes:?}");
    for (path, methods) in &routes {
        let item = &document["paths"][path];
        assert!(item.is_object(), "{path} is not in the OpenAPI document");
        for method in methods {
            let operation = &item[*method];
            assert!(operation.is_object(), "{method} {path} is not documented");
            assert!(operation["responses"].is_object(), "{method} {path}");
            if *method != "get" {
                let csrf = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["name"] == "X-CSRF-Token");
                assert!(
                    csrf,
                    "{method} {path} must document the anti-forgery header"
                );
            }
        }
    }
    // And nothing documented that the router does not serve.
    for path in document["paths"].as_object().unwrap().keys() {
        assert!(
            routes.iter().any(|(route, _)| route == path),
            "{path} is documented but not routed"
        );
    }
    // Every `$ref` points at something.
    let text = document.to_string();
    for piece in text.split("\"$ref\":\"#/components/").skip(1) {
        let target = &piece[..piece.find('"').unwrap()];
        let (kind, name) = target.split_once('/').unwrap();
        assert!(
            document["components"][kind][name].is_object(),
            "dangling $ref {target}"
        );
    }
}

async fn the_fee_quote_is_the_domain_quote(app: TestApp) {
    use sportello_domain::fees::canone::{QuoteInput, quote};
    let tenant = app.tenant("borgoverde").await;
    let rules = tenant.profile.rules.canone.clone().unwrap();
    let start = sportello_domain::calendar::local_date(jiff::Timestamp::now());
    let end = start.checked_add(jiff::Span::new().days(9)).unwrap();
    let base = "/borgoverde/api/v1/services/occupazione-suolo-pubblico/fee-quote";
    // (query, road category, kind, area in hundredths, end, times)
    let cases = [
        (
            format!(
                "street=via-roma&occupation_kind=cantiere&area_m2=12,40&start_date={start}&end_date={end}"
            ),
            "zona-1",
            "cantiere",
            1240,
            end,
            None,
        ),
        (
            format!(
                "road_category=zona-2&occupation_kind=dehors&area_m2=8&start_date={start}&end_date={end}"
            ),
            "zona-2",
            "dehors",
            800,
            end,
            None,
        ),
        (
            format!(
                "road_category=zona-1&occupation_kind=trasloco&area_m2=20.5&start_date={start}&start_time=08:00&end_time=11:30"
            ),
            "zona-1",
            "trasloco",
            2050,
            start,
            Some((
                jiff::civil::time(8, 0, 0, 0),
                jiff::civil::time(11, 30, 0, 0),
            )),
        ),
    ];
    for (query, category, kind, area, end, times) in cases {
        let response = app.get(&format!("{base}?{query}")).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{query}: {}",
            response.body
        );
        let body = json(&response.body);
        let expected = quote(
            &rules,
            &QuoteInput {
                road_category: category,
                occupation_kind: kind,
                area_hundredths_m2: area,
                start,
                end,
                times,
            },
        )
        .unwrap();
        assert_eq!(body["total"], expected.total.get(), "{query}");
        assert_eq!(
            body["tariff_valid_from"],
            expected.tariff_valid_from.to_string()
        );
        let lines = body["lines"].as_array().unwrap();
        assert_eq!(lines.len(), expected.lines.len(), "{query}");
        for (line, want) in lines.iter().zip(&expected.lines) {
            assert_eq!(line["label"], want.label.it);
            assert_eq!(line["value"], want.value.it);
        }
    }
    // Problems come back next to their fields.
    let bad = app
        .get(&format!(
            "{base}?road_category=zona-1&occupation_kind=cantiere&area_m2=tanti&start_date={start}"
        ))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.header("content-type"), "application/problem+json");
    assert_eq!(json(&bad.body)["errors"][0]["field"], "area_m2");
    let backwards = app
        .get(&format!("{base}?street=via-roma&occupation_kind=cantiere&area_m2=3&start_date={end}&end_date={start}"))
        .await;
    assert_eq!(json(&backwards.body)["errors"][0]["field"], "end_date");
    let unknown_kind = app
        .get(&format!(
            "{base}?street=via-roma&occupation_kind=giostra&area_m2=3&start_date={start}"
        ))
        .await;
    assert_eq!(
        json(&unknown_kind.body)["errors"][0]["field"],
        "occupation_kind"
    );
    // Only a public-land occupation has a canone.
    let ztl = app
        .get(&format!("/borgoverde/api/v1/services/permesso-ztl/fee-quote?road_category=zona-1&occupation_kind=cantiere&area_m2=3&start_date={start}"))
        .await;
    assert_eq!(ztl.status, StatusCode::NOT_FOUND);
}

async fn a_permit_code_that_does_not_verify_is_not_found(app: TestApp) {
    let forged = "A".repeat(43);
    for code in [forged.as_str(), "corto"] {
        let response = app.get(&format!("/borgoverde/api/v1/verify/{code}")).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{code}");
        assert_eq!(response.header("content-type"), "application/problem+json");
    }
}

/// The citizen's and the clerk's actions through the JSON API, with the session cookie of
/// the portal and the anti-forgery header.
pub(crate) mod actions {
    use crate::auth::{AuthApp, Browser, sign_in_as};
    use crate::requests::{CF, TENANT, day};
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use serde_json::{Value, json};
    use sportello_domain::{CodiceFiscale, Role};
    use sportello_store::Actor;

    /// Giulia Bianchi, of the local police (who decides ZTL permits).
    pub(crate) const CLERK: &str = "BNCGLI78D45A794Q";

    crate::app_tests!(
        using crate::auth::AuthApp::plain;
        a_citizen_files_and_follows_a_request,
        a_clerk_decides_and_the_permit_verifies,
        without_a_session_or_a_role_the_api_refuses,
    );

    pub(crate) async fn send(
        browser: &mut Browser<'_>,
        method: &str,
        path: &str,
        body: Option<Value>,
        with_token: bool,
    ) -> (StatusCode, Value) {
        let csrf = browser.csrf().await;
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json");
        if with_token {
            request = request.header("x-csrf-token", csrf);
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let response = browser.send(request, body).await;
        let value = serde_json::from_str(&response.body).unwrap_or(Value::Null);
        (response.status, value)
    }

    pub(crate) async fn get(browser: &mut Browser<'_>, path: &str) -> (StatusCode, Value) {
        let response = browser.get(path).await;
        let value = serde_json::from_str(&response.body).unwrap_or(Value::Null);
        (response.status, value)
    }

    pub(crate) fn api(path: &str) -> String {
        format!("/{TENANT}/api/v1{path}")
    }

    pub(crate) async fn grant_clerk(app: &AuthApp) {
        let tenant = app.app.tenant(TENANT).await;
        app.app
            .store
            .scoped(tenant.id)
            .grant_role(
                &CodiceFiscale::parse(CLERK).unwrap(),
                &Role::Clerk {
                    office: "polizia-locale".into(),
                },
                &Actor::cli("test"),
            )
            .await
            .unwrap();
    }

    /// A one-day ZTL permit for tomorrow, filed through the API; returns the pratica.
    pub(crate) async fn file_ztl(browser: &mut Browser<'_>) -> Value {
        let (status, draft) = send(
            browser,
            "POST",
            &api("/me/drafts"),
            Some(json!({ "service": "permesso-ztl" })),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{draft}");
        let path = api(&format!("/me/drafts/{}", draft["id"].as_str().unwrap()));
        let steps: [(&str, Value); 4] = [
            ("categoria", json!({ "category": "giornaliero" })),
            (
                "veicoli-e-zone",
                json!({ "plates": ["AB123CD"], "zones": ["centro-storico"] }),
            ),
            (
                "periodo",
                json!({ "start_date": day(1), "reason": "Accompagno un familiare a una visita" }),
            ),
            (
                "dichiarazioni",
                json!({ "truthful": "si", "conditions": "si", "privacy": "si" }),
            ),
        ];
        for (step, answers) in steps {
            let (status, saved) = send(
                browser,
                "PUT",
                &path,
                Some(json!({ "step": step, "answers": answers })),
                true,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{step}: {saved}");
        }
        let (status, pratica) = send(browser, "POST", &format!("{path}/submit"), None, true).await;
        assert_eq!(status, StatusCode::CREATED, "{pratica}");
        pratica
    }

    async fn a_citizen_files_and_follows_a_request(app: AuthApp) {
        let mut mario = app.browser();
        sign_in_as(&app, &mut mario, TENANT, CF, "Mario", "Rossi").await;

        // A step with a wrong answer is saved anyway, and says what to fix.
        let (_, draft) = send(
            &mut mario,
            "POST",
            &api("/me/drafts"),
            Some(json!({ "service": "permesso-ztl" })),
            true,
        )
        .await;
        let path = api(&format!("/me/drafts/{}", draft["id"].as_str().unwrap()));
        let (status, problem) = send(
            &mut mario,
            "PUT",
            &path,
            Some(json!({ "step": "veicoli-e-zone", "answers": { "plates": ["AB1"] } })),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == "plates"),
            "{problem}"
        );
        let (_, saved) = get(&mut mario, &path).await;
        assert_eq!(saved["answers"]["plates"], json!(["AB1"]));
        assert!(saved["steps"].as_array().unwrap().len() >= 3, "{saved}");
        let (status, problem) = send(
            &mut mario,
            "PUT",
            &path,
            Some(json!({ "answers": { "colour": "blu" } })),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], "colour");
        // Filing an incomplete draft lists what is missing.
        let (status, problem) =
            send(&mut mario, "POST", &format!("{path}/submit"), None, true).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(!problem["errors"].as_array().unwrap().is_empty());
        let (_, drafts) = get(&mut mario, &api("/me/drafts")).await;
        assert_eq!(drafts.as_array().unwrap().len(), 1, "{drafts}");

        let pratica = file_ztl(&mut mario).await;
        assert_eq!(pratica["state"]["key"], "submitted", "{pratica}");
        assert!(pratica["protocol"].as_str().unwrap().contains('/'));
        assert_eq!(pratica["timeline"][0]["by"], "citizen", "{pratica}");
        let id = pratica["id"].as_str().unwrap().to_owned();
        let (status, list) = get(&mut mario, &api("/me/pratiche")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .any(|p| p["id"] == id.as_str())
        );
        let (_, shown) = get(&mut mario, &api(&format!("/me/pratiche/{id}"))).await;
        assert!(
            shown["actions"]
                .as_array()
                .unwrap()
                .contains(&json!("withdraw")),
            "{shown}"
        );
        assert!(shown["deadline"].is_string(), "{shown}");

        // Observations are not open before a notice of intended refusal.
        let (status, problem) = send(
            &mut mario,
            "POST",
            &api(&format!("/me/pratiche/{id}/observations")),
            Some(json!({ "text": "Non sono d'accordo" })),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(problem["detail"].is_string(), "{problem}");
        // Without the anti-forgery header nothing changes.
        let (status, _) = send(
            &mut mario,
            "POST",
            &api(&format!("/me/pratiche/{id}/withdraw")),
            None,
            false,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, withdrawn) = send(
            &mut mario,
            "POST",
            &api(&format!("/me/pratiche/{id}/withdraw")),
            Some(json!({ "text": "Non serve più" })),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{withdrawn}");
        assert_eq!(withdrawn["state"]["key"], "withdrawn");
        let (status, _) = send(
            &mut mario,
            "POST",
            &api(&format!("/me/pratiche/{id}/withdraw")),
            None,
            true,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // Someone else's request does not exist for another citizen.
        let mut giuseppe = app.browser();
        sign_in_as(
            &app,
            &mut giuseppe,
            TENANT,
            "VRDGPP75C12F205K",
            "Giuseppe",
            "Verdi",
        )
        .await;
        let (status, _) = get(&mut giuseppe, &api(&format!("/me/pratiche/{id}"))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = get(&mut giuseppe, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    async fn a_clerk_decides_and_the_permit_verifies(app: AuthApp) {
        let mut mario = app.browser();
        sign_in_as(&app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
        let pratica = file_ztl(&mut mario).await;
        let id = pratica["id"].as_str().unwrap().to_owned();
        grant_clerk(&app).await;
        let mut giulia = app.browser();
        sign_in_as(&app, &mut giulia, TENANT, CLERK, "Giulia", "Bianchi").await;

        let (status, queue) = get(&mut giulia, &api("/office/pratiche?state=submitted")).await;
        assert_eq!(status, StatusCode::OK, "{queue}");
        let row = queue
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id.as_str())
            .expect("the new request in the queue")
            .clone();
        assert_eq!(row["applicant"]["fiscal_code"], CF);
        let (_, none) = get(&mut giulia, &api("/office/pratiche?state=rejected")).await;
        assert!(
            !none
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["id"] == id.as_str())
        );
        let (status, _) = get(&mut giulia, &api("/office/pratiche?state=boh")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        let action = |name: &str| api(&format!("/office/pratiche/{id}/actions/{name}"));
        let (_, detail) = get(&mut giulia, &api(&format!("/office/pratiche/{id}"))).await;
        assert_eq!(detail["actions"], json!(["take-charge"]), "{detail}");
        assert_eq!(detail["answers"]["plates"], json!(["AB123CD"]));
        let version = detail["version"].as_u64().unwrap();
        // A stale version is a conflict.
        let (status, _) = send(
            &mut giulia,
            "POST",
            &action("take-charge"),
            Some(json!({ "version": version + 7 })),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let mut current = detail;
        for (name, state) in [
            ("take-charge", "in-review"),
            ("approve", "awaiting-payment"),
            ("record-payment", "payment-received"),
            ("issue-permit", "permit-issued"),
        ] {
            let (status, after) = send(
                &mut giulia,
                "POST",
                &action(name),
                Some(json!({ "version": current["version"] })),
                true,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{name}: {after}");
            assert_eq!(after["state"]["key"], state, "{name}");
            current = after;
        }
        // Rejecting an issued permit is not a step the rules allow.
        let (status, problem) = send(
            &mut giulia,
            "POST",
            &action("reject"),
            Some(json!({ "version": current["version"], "text": "No" })),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let (status, _) = send(
            &mut giulia,
            "POST",
            &action("fly"),
            Some(json!({ "version": current["version"] })),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The permit's code verifies: valid from tomorrow, so not today.
        let tenant = app.app.tenant(TENANT).await;
        let stored = app
            .app
            .store
            .scoped(tenant.id)
            .pratica(id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        let code = stored.permit_code.unwrap();
        let (status, verified) = get(&mut app.browser(), &api(&format!("/verify/{code}"))).await;
        assert_eq!(status, StatusCode::OK, "{verified}");
        assert_eq!(verified["status"], "not-in-period", "{verified}");
        assert_eq!(verified["valid"], false);
        assert_eq!(verified["number"], current["protocol"]);
        assert_eq!(verified["valid_from"], day(1));
        assert!(verified.to_string().contains("AB123CD"), "{verified}");
        assert!(
            !verified.to_string().contains(CF),
            "no codice fiscale: {verified}"
        );
        let (_, mine) = get(&mut mario, &api(&format!("/me/pratiche/{id}"))).await;
        assert!(mine["permit_pdf"].is_string(), "{mine}");
        // The office's internal steps stay out of the citizen's timeline.
        let (_, office_view) = get(&mut giulia, &api(&format!("/office/pratiche/{id}"))).await;
        assert!(
            office_view["timeline"].as_array().unwrap().len()
                >= mine["timeline"].as_array().unwrap().len()
        );
    }

    async fn without_a_session_or_a_role_the_api_refuses(app: AuthApp) {
        let mut nobody = app.browser();
        for path in ["/me/pratiche", "/me/drafts", "/office/pratiche"] {
            let (status, problem) = get(&mut nobody, &api(path)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(problem["status"], 401, "{path}");
            assert_eq!(problem["title"], "Accesso richiesto");
        }
        let (status, _) = send(
            &mut nobody,
            "POST",
            &api("/me/drafts"),
            Some(json!({ "service": "permesso-ztl" })),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        let mut mario = app.browser();
        sign_in_as(&app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
        let pratica = file_ztl(&mut mario).await;
        let id = pratica["id"].as_str().unwrap();
        // A citizen is no clerk.
        let (status, _) = get(&mut mario, &api("/office/pratiche")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = get(&mut mario, &api(&format!("/office/pratiche/{id}"))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // A clerk of another office sees neither the queue entry nor the pratica.
        let tenant = app.app.tenant(TENANT).await;
        let other = "GLLPLA75E20H501Z";
        app.app
            .store
            .scoped(tenant.id)
            .grant_role(
                &CodiceFiscale::parse(other).unwrap(),
                &Role::Clerk {
                    office: "suap".into(),
                },
                &Actor::cli("test"),
            )
            .await
            .unwrap();
        let mut paolo = app.browser();
        sign_in_as(&app, &mut paolo, TENANT, other, "Paolo", "Gallo").await;
        let (status, queue) = get(&mut paolo, &api("/office/pratiche")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!queue.as_array().unwrap().iter().any(|p| p["id"] == id));
        let (status, _) = get(&mut paolo, &api(&format!("/office/pratiche/{id}"))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = send(
            &mut paolo,
            "POST",
            &api(&format!("/office/pratiche/{id}/actions/take-charge")),
            Some(json!({ "version": pratica["version"] })),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // A service that is not requested online has no drafts.
        let (status, problem) = send(
            &mut mario,
            "POST",
            &api("/me/drafts"),
            Some(json!({ "service": "carta-identita-elettronica" })),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "service");
    }
}
