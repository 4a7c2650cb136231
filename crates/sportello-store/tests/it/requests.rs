//! A comune with two online services, each decided by its own office, and the citizens and
//! clerks the request tests build on.

use crate::citizens::{LAURA, MARIO, cf, client, operator, signed_in};
use crate::fixtures::logo;
use sportello_domain::tenant_file::TenantDefinition;
use sportello_domain::{Role, TenantId};
use sportello_store::protocol::{Correspondent, Direction, NewProtocolEntry};
use sportello_store::{Actor, ImportOutcome, Store, User};

/// Small valid procedures, one per service. Different texts are different procedures:
/// swapping them between services is how the tests change a procedure without caring about
/// its fields. (Nested tables name their full path: the text goes under `[services.procedure]`.)
pub const ZTL_PROCEDURE: &str = r#"
kind = "generic"
term_days = 30
silence = "inaction"
stamp_duty = { on_request = "always", on_permit = "never" }

[[services.procedure.steps]]
id = "richiesta"
title = { it = "La richiesta", en = "Your request" }

[[services.procedure.steps.fields]]
id = "reason"
kind = "text"
max_length = 200
label = { it = "Motivo", en = "Reason" }
"#;
pub const BADGE_PROCEDURE: &str = r#"
kind = "generic"
term_days = 60
silence = "inaction"
stamp_duty = { on_request = "never", on_permit = "never" }

[[services.procedure.steps]]
id = "richiesta"
title = { it = "La richiesta", en = "Your request" }

[[services.procedure.steps.fields]]
id = "reason"
kind = "text"
max_length = 200
label = { it = "Motivo", en = "Reason" }

[[services.procedure.attachments]]
id = "medical_certificate"
label = { it = "Certificato medico", en = "Medical certificate" }
sensitive = true
retention_days = 365
"#;

const TEMPLATE: &str = r#"
slug = "{slug}"
name = "Comune di {name}"
short_name = "{name}"
codice_fiscale = "80000123457"
ipa_code = "c_{slug}"
region = "Regione Immaginaria"
population = 1200
domains = []
logo = "stemma.svg"

[address]
street = "Piazza Grande 1"
postal_code = "99099"
city = "{name}"
province = "PV"

[contacts]
phone = "+39 0123 000000"
email = "urp@{slug}.example"
pec = "protocollo@pec.{slug}.example"

[links]
institutional_site = "https://www.{slug}.example/"
administration = "https://www.{slug}.example/amministrazione"
news = "https://www.{slug}.example/novita"
living = "https://www.{slug}.example/vivere"
transparency = "https://www.{slug}.example/trasparenza"
accessibility_declaration = "https://form.agid.gov.it/view/00000000-0000-0000-0000-000000000009"

[privacy]
dpo_name = "Studio Privacy Immaginario"
dpo_email = "dpo@{slug}.example"

[[offices]]
id = "mobilita"
name = { it = "Ufficio Mobilità" }
address = "Piazza Grande 1"
phone = "+39 0123 000001"
email = "mobilita@{slug}.example"
opening_hours = { it = ["Lunedì 9:00–12:00"] }

[[offices]]
id = "sociale"
name = { it = "Servizi Sociali" }
address = "Piazza Grande 2"
phone = "+39 0123 000002"
email = "sociale@{slug}.example"
opening_hours = { it = ["Martedì 9:00–12:00"] }

[[services]]
slug = "permesso-ztl"
category = "mobilita-e-trasporti"
title = { it = "Permesso ZTL" }
short_description = { it = "Chiedi il permesso ZTL." }
audience.it.paragraphs = ["Residenti."]
how_to.it.items = ["Accedi", "Invia"]
needed.it.items = ["Targa"]
achieved.it.paragraphs = ["Il permesso."]
calendar.it.paragraphs = ["30 giorni."]
access = { kind = "online" }
conditions.it.paragraphs = ["Informativa privacy."]
office = "mobilita"
topics = [{ it = "Mobilità" }]
{ztl_procedure}

[[services]]
slug = "contrassegno-disabili"
category = "mobilita-e-trasporti"
title = { it = "Contrassegno disabili" }
short_description = { it = "Chiedi il contrassegno CUDE." }
audience.it.paragraphs = ["Persone con capacità di deambulazione ridotta."]
how_to.it.items = ["Accedi", "Invia"]
needed.it.items = ["Certificato medico"]
achieved.it.paragraphs = ["Il contrassegno."]
calendar.it.paragraphs = ["30 giorni."]
access = { kind = "online" }
conditions.it.paragraphs = ["Informativa privacy."]
office = "sociale"
topics = [{ it = "Mobilità" }]
{badge_procedure}
"#;

fn block(procedure: Option<&str>) -> String {
    procedure.map_or(String::new(), |p| format!("[services.procedure]\n{p}"))
}

/// The comune `slug` with the given procedures (`None`: the service has none).
pub fn definition(slug: &str, ztl: Option<&str>, badge: Option<&str>) -> TenantDefinition {
    let name = slug.to_uppercase();
    let text = TEMPLATE
        .replace("{slug}", slug)
        .replace("{name}", &name)
        .replace("{ztl_procedure}", &block(ztl))
        .replace("{badge_procedure}", &block(badge));
    TenantDefinition::from_toml(&text).unwrap_or_else(|e| panic!("fixture does not parse: {e}"))
}

pub async fn import_with(
    store: &Store,
    slug: &str,
    ztl: Option<&str>,
    badge: Option<&str>,
) -> ImportOutcome {
    store
        .import_tenant(&definition(slug, ztl, badge), &logo(), "test")
        .await
        .unwrap_or_else(|e| panic!("import of {slug} failed: {e}"))
}

/// A comune whose two services each have their own procedure.
pub async fn comune(store: &Store, slug: &str) -> TenantId {
    import_with(store, slug, Some(ZTL_PROCEDURE), Some(BADGE_PROCEDURE))
        .await
        .tenant_id
}

/// The people of a comune: two citizens, a clerk of each office.
pub struct People {
    pub mario: User,
    pub laura: User,
    /// Clerk of `sociale`, which decides the disabled badge.
    pub social_clerk: User,
    /// Clerk of `mobilita`, which decides the ZTL permit.
    pub mobility_clerk: User,
}

pub const SOCIAL_CLERK: &str = "SCLCRK80A01H501A";
pub const MOBILITY_CLERK: &str = "MBLCRK80A01H501F";

pub async fn people(store: &Store, tenant: TenantId) -> People {
    let scope = store.scoped(tenant);
    let social_clerk = signed_in(&scope, SOCIAL_CLERK).await;
    let mobility_clerk = signed_in(&scope, MOBILITY_CLERK).await;
    for (code, office) in [(SOCIAL_CLERK, "sociale"), (MOBILITY_CLERK, "mobilita")] {
        scope
            .grant_role(
                &cf(code),
                &Role::Clerk {
                    office: office.into(),
                },
                &operator(),
            )
            .await
            .unwrap();
    }
    People {
        mario: signed_in(&scope, MARIO).await,
        laura: signed_in(&scope, LAURA).await,
        social_clerk,
        mobility_clerk,
    }
}

pub fn actor(user: &User) -> Actor {
    Actor::user(user.id, client())
}

pub fn incoming(subject: &str) -> NewProtocolEntry {
    NewProtocolEntry {
        direction: Direction::Incoming,
        correspondent: Correspondent {
            name: "Mario Rossi".into(),
            fiscal_code: Some(cf(MARIO)),
        },
        subject: subject.into(),
        pratica: None,
        attachments: Vec::new(),
    }
}
