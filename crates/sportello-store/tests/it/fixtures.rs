//! Two small comuni that share a service slug and each have one of their own.

use sportello_domain::tenant::Logo;
use sportello_domain::tenant_file::TenantDefinition;
use sportello_store::{ImportOutcome, Store};

const TEMPLATE: &str = r#"
slug = "{slug}"
name = "Comune di {name}"
short_name = "{name}"
codice_fiscale = "80000123457"
ipa_code = "c_{slug}"
region = "Regione Immaginaria"
population = 1200
domains = [{domains}]
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
id = "urp"
name = { it = "Ufficio Relazioni con il Pubblico di {name}" }
address = "Piazza Grande 1"
phone = "+39 0123 000001"
email = "urp@{slug}.example"
opening_hours = { it = ["Lunedì 9:00–12:00"] }

[[services]]
slug = "permesso-ztl"
category = "mobilita-e-trasporti"
title = { it = "Permesso ZTL di {name}" }
short_description = { it = "Chiedi il permesso ZTL a {name}." }
audience.it.paragraphs = ["Residenti."]
how_to.it.items = ["Accedi", "Invia"]
needed.it.items = ["Targa"]
achieved.it.paragraphs = ["Il permesso."]
calendar.it.paragraphs = ["30 giorni."]
access = { kind = "online" }
conditions.it.paragraphs = ["Informativa privacy."]
office = "urp"
topics = [{ it = "Mobilità" }]

[[services]]
slug = "{own_service}"
category = "educazione-e-formazione"
title = { it = "Servizio riservato a {name}" }
short_description = { it = "Solo {name} offre questo servizio." }
audience.it.paragraphs = ["Famiglie."]
how_to.it.items = ["Prenota"]
needed.it.items = ["Documento"]
achieved.it.paragraphs = ["Il servizio."]
calendar.it.paragraphs = ["Subito."]
access = { kind = "booking", url = "https://www.{slug}.example/prenota" }
conditions.it.paragraphs = ["Informativa privacy."]
office = "urp"
topics = [{ it = "Scuola" }]
"#;

pub struct Comune {
    pub slug: &'static str,
    pub name: &'static str,
    pub own_service: &'static str,
    pub domains: &'static [&'static str],
}

pub const ALFA: Comune = Comune {
    slug: "alfa",
    name: "Alfa",
    own_service: "solo-alfa",
    domains: &["servizi.alfa.example"],
};
pub const BETA: Comune = Comune {
    slug: "beta",
    name: "Beta",
    own_service: "solo-beta",
    domains: &[],
};

pub fn definition(comune: &Comune) -> TenantDefinition {
    let domains: Vec<String> = comune.domains.iter().map(|d| format!("\"{d}\"")).collect();
    let text = TEMPLATE
        .replace("{slug}", comune.slug)
        .replace("{name}", comune.name)
        .replace("{own_service}", comune.own_service)
        .replace("{domains}", &domains.join(", "));
    TenantDefinition::from_toml(&text).unwrap_or_else(|e| panic!("fixture does not parse: {e}"))
}

pub fn logo() -> Logo {
    Logo::from_file(
        "stemma.svg",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

pub async fn import(store: &Store, comune: &Comune) -> ImportOutcome {
    store
        .import_tenant(&definition(comune), &logo(), "test")
        .await
        .unwrap_or_else(|e| panic!("import of {} failed: {e}", comune.slug))
}
