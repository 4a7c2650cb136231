//! The ZTL whitelist for the gate cameras (DPR 250/1999: transits are matched against the
//! authorised plates before any image is kept) and the transit check the traffic police run
//! before issuing a fine. Both read the permits issued by the ZTL service and the plates
//! linked to disabled badges, with the validity each permit was issued with.

use crate::{AppState, WebError};
use axum::Json;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sportello_domain::assessment::Assessment;
use sportello_domain::plate::Plate;
use sportello_domain::pratica::PraticaState;
use sportello_domain::ztl::{Transit, ZtlAuthorisation};
use sportello_domain::{Role, Tenant};
use sportello_store::{QueueFilter, Store, StoreError, StoredPratica};

/// One line of the whitelist: a plate allowed in a zone during a window, or (in an
/// incremental export) taken off it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhitelistRow {
    /// `add` or `remove`.
    pub action: &'static str,
    pub plate: String,
    pub zone: String,
    /// Days of the week (`mon,tue,…`), as the zone's rules name them.
    pub days: String,
    pub from: String,
    pub to: String,
    pub valid_from: String,
    pub valid_until: String,
    /// The permit's number: its protocol number.
    pub permit: String,
}

/// A permit that lets plates through the gates, with its authorisation.
struct GatePermit {
    pratica: StoredPratica,
    authorisation: ZtlAuthorisation,
}

async fn gate_permits(store: &Store, tenant: &Tenant) -> Result<Vec<GatePermit>, StoreError> {
    let scope = store.scoped(tenant.id);
    let states = vec![
        PraticaState::PermitIssued,
        PraticaState::Expired,
        PraticaState::Revoked,
        PraticaState::Renewed,
    ];
    let mut permits = Vec::new();
    for office in scope.offices().await? {
        let filter = QueueFilter {
            states: states.clone(),
            ..QueueFilter::default()
        };
        for pratica in scope.office_queue(office.id.as_str(), &filter).await? {
            let Some(version) = scope
                .procedure_version(pratica.service_slug.as_str(), pratica.service_version)
                .await?
            else {
                continue;
            };
            let assessment: Option<Assessment> = pratica
                .assessment
                .clone()
                .and_then(|value| serde_json::from_value(value).ok());
            let Some(mut authorisation) =
                assessment.and_then(|a| a.permit.ztl_authorisation(version.procedure.kind))
            else {
                continue;
            };
            // The dates the permit was issued with are the ones that count.
            if let Some(validity) = pratica.pratica.permit() {
                authorisation.valid_from = validity.from();
                authorisation.valid_until = Some(validity.until());
            }
            permits.push(GatePermit {
                pratica,
                authorisation,
            });
        }
    }
    Ok(permits)
}

/// The whitelist: every plate × zone × window of the permits in force, or with `since`, what
/// changed after that instant (permits issued: `add`; expired, revoked or superseded:
/// `remove`).
pub async fn whitelist(
    store: &Store,
    tenant: &Tenant,
    since: Option<jiff::Timestamp>,
) -> Result<Vec<WhitelistRow>, StoreError> {
    let Some(rules) = tenant.profile.rules.ztl.as_ref() else {
        return Ok(Vec::new());
    };
    let mut rows = Vec::new();
    for permit in gate_permits(store, tenant).await? {
        let pratica = &permit.pratica;
        let changed = since.is_none_or(|since| pratica.pratica.updated_at() > since);
        if !changed {
            continue;
        }
        let action = match pratica.state() {
            PraticaState::PermitIssued => "add",
            _ if since.is_some() => "remove",
            _ => continue,
        };
        let zones: Vec<String> = if permit.authorisation.zones.is_empty() {
            rules.zones.iter().map(|z| z.id.to_string()).collect()
        } else {
            permit
                .authorisation
                .zones
                .iter()
                .map(|z| z.to_string())
                .collect()
        };
        for plate in &permit.authorisation.plates {
            for zone in &zones {
                let windows: Vec<(String, String, String)> =
                    if permit.authorisation.windows.is_empty() {
                        vec![(
                            "mon,tue,wed,thu,fri,sat,sun".into(),
                            "00:00".into(),
                            "24:00".into(),
                        )]
                    } else {
                        permit
                            .authorisation
                            .windows
                            .iter()
                            .map(|w| {
                                let days: Vec<String> = w
                                    .days
                                    .iter()
                                    .map(|d| format!("{d:?}").to_lowercase())
                                    .collect();
                                (days.join(","), w.from.to_string(), w.to.to_string())
                            })
                            .collect()
                    };
                for (days, from, to) in windows {
                    rows.push(WhitelistRow {
                        action,
                        plate: plate.as_str().to_owned(),
                        zone: zone.clone(),
                        days,
                        from,
                        to,
                        valid_from: permit.authorisation.valid_from.to_string(),
                        valid_until: permit
                            .authorisation
                            .valid_until
                            .map(|d| d.to_string())
                            .unwrap_or_default(),
                        permit: pratica.protocol.to_string(),
                    });
                }
            }
        }
    }
    rows.sort_by(|a, b| (&a.plate, &a.zone, &a.permit).cmp(&(&b.plate, &b.zone, &b.permit)));
    Ok(rows)
}

/// The whitelist as CSV (`;`-separated, a header line).
pub fn to_csv(rows: &[WhitelistRow]) -> String {
    let mut out = String::from("action;plate;zone;days;from;to;valid_from;valid_until;permit\n");
    for r in rows {
        out.push_str(&format!(
            "{};{};{};{};{};{};{};{};{}\n",
            r.action, r.plate, r.zone, r.days, r.from, r.to, r.valid_from, r.valid_until, r.permit
        ));
    }
    out
}

#[derive(Debug, Serialize)]
pub(crate) struct CheckAnswer {
    authorised: bool,
    restricted: bool,
    permit: Option<PermitRef>,
}

#[derive(Debug, Serialize)]
pub(crate) struct PermitRef {
    number: String,
    service: String,
    valid_from: String,
    valid_until: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CheckQuery {
    plate: String,
    zone: String,
    at: Option<String>,
}

#[derive(Debug, Serialize)]
struct ApiError {
    error: &'static str,
    message: String,
}

fn api_error(status: StatusCode, error: &'static str, message: impl Into<String>) -> Response {
    (
        status,
        Json(ApiError {
            error,
            message: message.into(),
        }),
    )
        .into_response()
}

/// `GET /{comune}/api/v1/ztl/check?plate=…&zone=…&at=…`: was this transit authorised, and by
/// which permit. For the office that decides ZTL permits (the traffic police) and the
/// comune's administrators.
pub(crate) async fn check(
    ctx: crate::tenant::TenantContext,
    Query(query): Query<CheckQuery>,
) -> Result<Response, WebError> {
    let Some(user) = ctx.user.as_ref() else {
        return Ok(api_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "sign in first",
        ));
    };
    let state: &AppState = &ctx.state;
    let scope = state.store().scoped(ctx.tenant.id);
    let mut ztl_offices = Vec::new();
    for service in scope.services().await? {
        if let Some(procedure) = &service.procedure
            && procedure.kind == sportello_domain::procedure::ProcedureKind::ZtlAccess
        {
            ztl_offices.push(procedure.deciding_office(&service.office).to_string());
        }
    }
    let allowed = user.roles.iter().any(|role| match role {
        Role::TenantAdmin => true,
        Role::Clerk { office } => ztl_offices.contains(office),
    });
    if !allowed {
        return Ok(api_error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only the office that decides ZTL permits may check transits",
        ));
    }
    let Ok(plate) = Plate::parse(&query.plate) else {
        return Ok(api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_plate",
            "not a number plate",
        ));
    };
    let at = match query.at.as_deref() {
        None => jiff::Timestamp::now(),
        Some(text) => match text.parse::<jiff::Timestamp>() {
            Ok(at) => at,
            Err(_) => {
                return Ok(api_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_at",
                    "`at` must be an RFC 3339 instant, e.g. 2026-11-27T08:30:00+01:00",
                ));
            }
        },
    };
    let Some(rules) = ctx.tenant.profile.rules.ztl.as_ref() else {
        return Ok(api_error(
            StatusCode::NOT_FOUND,
            "no_ztl",
            "this comune has no ZTL",
        ));
    };
    let permits: Vec<GatePermit> = gate_permits(state.store(), &ctx.tenant)
        .await?
        .into_iter()
        .filter(|p| p.pratica.state() == PraticaState::PermitIssued)
        .collect();
    let authorisations: Vec<&ZtlAuthorisation> = permits.iter().map(|p| &p.authorisation).collect();
    let answer = match rules.check_transit(&query.zone, &plate, at, authorisations.iter().copied())
    {
        Transit::UnknownZone => {
            return Ok(api_error(
                StatusCode::NOT_FOUND,
                "unknown_zone",
                "no such ZTL zone",
            ));
        }
        Transit::NotRestricted => CheckAnswer {
            authorised: true,
            restricted: false,
            permit: None,
        },
        Transit::NotAuthorised => CheckAnswer {
            authorised: false,
            restricted: true,
            permit: None,
        },
        Transit::Authorised(index) => {
            let Some(permit) = permits.get(index) else {
                return Err(WebError::Internal("a transit authorised by no permit"));
            };
            let service = scope
                .service(permit.pratica.service_slug.as_str())
                .await?
                .map(|s| s.title.get(ctx.lang).to_owned())
                .unwrap_or_default();
            CheckAnswer {
                authorised: true,
                restricted: true,
                permit: Some(PermitRef {
                    number: permit.pratica.protocol.to_string(),
                    service,
                    valid_from: permit.authorisation.valid_from.to_string(),
                    valid_until: permit
                        .authorisation
                        .valid_until
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                }),
            }
        }
    };
    Ok(Json(answer).into_response())
}
