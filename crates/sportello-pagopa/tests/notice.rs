//! The payment notice of real positions, read back as a bank's app or a shop's scanner would:
//! each QR code and the Poste Data Matrix decode to the position's own notice number, amount
//! and creditor.

use sportello_documents::reading::{TempPdf, pdftotext, scan_all_qr, scan_data_matrices};
use sportello_domain::pagopa::{IuvBase, NoticeNumber};
use sportello_domain::payment::{DebtPosition, Debtor, Iupd, PaymentOption, Transfer};
use sportello_domain::tenant::Tenant;
use sportello_domain::tenant_file::TenantDefinition;
use sportello_domain::{Cents, Slug, TenantId};
use sportello_pagopa::notice::notice_pdf;
use sportello_pagopa::request::{
    LineKind, PaymentLine, PaymentRequest, Purpose, position_for_request,
};

fn borgoverde() -> Tenant {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tenants/demo/borgoverde.toml"
    );
    let definition = TenantDefinition::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap();
    Tenant {
        id: TenantId::from_uuid(uuid::Uuid::now_v7()),
        slug: Slug::parse("borgoverde").unwrap(),
        profile: definition.profile,
    }
}

/// A TARI-like position paid to the comune's accounts (so the notice has a postal slip):
/// the whole, or two instalments.
fn tari(tenant: &Tenant) -> DebtPosition {
    let collection = tenant.profile.pagopa.as_ref().unwrap();
    let notice = |k: u64| {
        NoticeNumber::new(
            collection.segregation_code,
            IuvBase::new(2_026_000_000_100 + k).unwrap(),
        )
    };
    let fee = |amount| {
        Transfer::new(
            Cents::new(amount),
            "TARI 2026",
            collection.fees_taxonomy.clone(),
            collection.fee_destination(),
        )
        .unwrap()
    };
    let due = jiff::civil::date(2026, 12, 16);
    DebtPosition::new(
        Iupd::for_origin(&tenant.profile.codice_fiscale, "tari-1").unwrap(),
        Debtor::identify("RSSMRA80A01H501U", "Mario Rossi").unwrap(),
        &tenant.profile.name,
        Some("Servizio tributi"),
        false,
        vec![
            PaymentOption::new(
                notice(0),
                "TARI 2026 rata unica",
                due,
                false,
                vec![fee(102_099)],
            )
            .unwrap(),
            PaymentOption::new(
                notice(1),
                "TARI 2026 prima rata",
                jiff::civil::date(2026, 7, 31),
                true,
                vec![fee(51_050)],
            )
            .unwrap(),
            PaymentOption::new(
                notice(2),
                "TARI 2026 seconda rata",
                due,
                true,
                vec![fee(51_049)],
            )
            .unwrap(),
        ],
    )
    .unwrap()
}

#[test]
fn every_code_on_the_notice_decodes_to_the_position() {
    let tenant = borgoverde();
    let position = tari(&tenant);
    let pdf = TempPdf::new(&notice_pdf(&tenant, &position).unwrap());
    let creditor = tenant.profile.codice_fiscale.as_str();
    if let Some(codes) = scan_all_qr(&pdf) {
        let mut expected: Vec<String> = position
            .options
            .iter()
            .map(|o| {
                format!(
                    "PAGOPA|002|{}|{creditor}|{}",
                    o.notice_number,
                    o.amount().get()
                )
            })
            .collect();
        expected.sort();
        assert_eq!(codes, expected);
    }
    if let Some(matrices) = scan_data_matrices(&pdf) {
        assert_eq!(
            matrices.len(),
            position.options.len(),
            "one postal slip per option"
        );
        for (matrix, option) in matrices.iter().zip(&position.options) {
            // The fixed slices a reader (pagoPA's io-app) takes from the 256 characters.
            assert_eq!(matrix.len(), 256, "{matrix}");
            assert_eq!(&matrix[15..33], option.notice_number.as_str());
            assert_eq!(&matrix[49..59], format!("{:010}", option.amount().get()));
            assert_eq!(&matrix[66..77], creditor);
            assert!(matrix.contains("RSSMRA80A01H501U"));
        }
    }
    if let Some(text) = pdftotext(&pdf) {
        for wanted in ["1.020,99", "16/12/2026", creditor, "Mario Rossi"] {
            assert!(text.contains(wanted), "{wanted} missing in {text}");
        }
        assert!(text.contains(&position.options[0].notice_number.printed()));
    }
}

#[test]
fn a_permit_fee_with_stamp_duty_prints_one_code_and_no_postal_slip() {
    let tenant = borgoverde();
    let request = PaymentRequest {
        pratica: uuid::Uuid::now_v7(),
        protocol: "0000042/2026".into(),
        purpose: Purpose::Decision,
        debtor_fiscal_code: sportello_domain::CodiceFiscale::parse("RSSMRA80A01H501U").unwrap(),
        debtor_name: "Mario Rossi".into(),
        reason: "Autorizzazione prot. 0000042/2026".into(),
        lines: vec![
            PaymentLine {
                kind: LineKind::Fee,
                description: "Canone".into(),
                amount: Cents::new(4500),
            },
            PaymentLine {
                kind: LineKind::StampDuty,
                description: "Imposta di bollo".into(),
                amount: Cents::new(1600),
            },
        ],
    };
    let position = position_for_request(
        &tenant,
        &request,
        IuvBase::new(2_026_000_000_042).unwrap(),
        jiff::civil::date(2026, 11, 27),
    )
    .unwrap();
    assert_eq!(position.total(), Cents::new(6100));
    assert_eq!(
        position.options[0].due_date,
        jiff::civil::date(2026, 12, 27)
    );
    let pdf = TempPdf::new(&notice_pdf(&tenant, &position).unwrap());
    if let Some(codes) = scan_all_qr(&pdf) {
        assert_eq!(
            codes,
            vec![format!(
                "PAGOPA|002|{}|{}|6100",
                position.options[0].notice_number,
                tenant.profile.codice_fiscale.as_str()
            )]
        );
    }
    // A digital stamp cannot be paid by postal slip: no Data Matrix.
    if let Some(matrices) = scan_data_matrices(&pdf) {
        assert!(matrices.is_empty(), "{matrices:?}");
    }
}
