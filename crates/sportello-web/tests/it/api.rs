use crate::app_tests;
use crate::support::TestApp;
use axum::http::StatusCode;
use serde_json::Value;

app_tests!(
    every_documented_path_answers_with_its_required_fields,
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
