//! Renders each document and reads the PDF back with the tools a citizen's computer would
//! use: poppler (`pdftotext`, `pdfinfo`, `pdffonts`, `pdftoppm`), zbar (`zbarimg`) to scan
//! the QR codes off the rendered pages and libdmtx (`dmtxread`) for the Poste Data Matrix.
//! `scripts/install-test-deps` installs them; on a machine without them the checks that need
//! them are skipped with a message, except under CI, where a missing tool fails the test.

use jiff::civil::date;
use sportello_documents::reading::*;
use sportello_documents::*;
use sportello_domain::EnteCodiceFiscale;
use sportello_domain::lang::Lang;
use sportello_domain::money::Cents;
use sportello_domain::pagopa::{
    IuvBase, NoticeNumber, PostalAccount, PosteDataMatrix, SegregationCode, qr_payload,
};
use sportello_domain::pratica::{Silence, TermDays};
use std::path::PathBuf;

// ---------------------------------------------------------------------------------------------
// Fixtures

fn comune() -> Letterhead {
    Letterhead {
        name: "Comune di Borgoverde".into(),
        address: "Piazza della Libertà 1, 00010 Borgoverde (RM)".into(),
        codice_fiscale: "80012345678".into(),
        pec: "protocollo@pec.comune.borgoverde.it".into(),
    }
}

fn stamp(number: &str, at: &str) -> ProtocolStamp {
    ProtocolStamp {
        number: number.into(),
        registered_at: at.parse().unwrap(),
    }
}

const DIGEST: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn receipt() -> Receipt {
    Receipt {
        lang: Lang::It,
        comune: comune(),
        // 09:15 UTC is 10:15 in Rome in November.
        protocol: stamp("0000042/2026", "2026-11-26T09:15:00Z"),
        service: "Occupazione di suolo pubblico".into(),
        applicant: Person {
            name: "Niccolò Bàrberi".into(),
            codice_fiscale: "BRBNCL80A01H501U".into(),
        },
        filed_by: None,
        office: "Ufficio Tributi e Suolo pubblico".into(),
        responsible: "Dott.ssa Maria Rossi".into(),
        substitute_power: Some("Segretario comunale, dott. Luca Neri".into()),
        term_days: TermDays::new(30).unwrap(),
        term_ends_on: date(2026, 12, 26),
        silence: Silence::Assent,
        follow_url: "https://borgoverde.example.it/borgoverde/area-personale/".into(),
        answers: vec![
            Row::new("Luogo", "Via Giuseppe Garibaldi 12"),
            Row::new("Superficie occupata", "12,50 m²"),
            Row::new("Tipo di occupazione", "Ponteggio per lavori edili"),
            Row::new("Dal", "01/12/2026"),
            Row::new("Al", "15/12/2026"),
            Row::new(
                "Motivo",
                "Rifacimento della facciata del condominio: è necessario montare un \
                 ponteggio perché la via è stretta e non c'è un cortile interno utilizzabile.",
            ),
        ],
        attachments: vec![AttachmentEntry {
            name: "Planimetria dell'area".into(),
            sha256_hex: DIGEST.into(),
            size_bytes: 245_300,
        }],
        amounts: vec![
            AmountDue {
                label: "Imposta di bollo sull'istanza".into(),
                amount: Cents::from_euros(16),
            },
            AmountDue {
                label: "Canone unico patrimoniale".into(),
                amount: Cents::new(18_750),
            },
        ],
    }
}

const VERIFY_URL: &str =
    "https://borgoverde.example.it/borgoverde/verifica/AZLwxGweejudLl-KGyw9TvhKk2TaFAqVPnhCwPpHu1g";

fn permit() -> Permit {
    Permit {
        lang: Lang::It,
        comune: comune(),
        title: "Permesso di accesso alla ZTL".into(),
        number: "ZTL-2026-000123".into(),
        protocol: stamp("0000057/2026", "2026-11-27T08:30:00Z"),
        holder: "Niccolò Bàrberi".into(),
        rows: vec![
            Row::new("Categoria", "Residente"),
            Row::new("Targhe", "AB123CD, EF456GH"),
            Row::new("Zone", "Centro storico, Borgo antico"),
            Row::new("Fasce orarie", "Tutti i giorni, 00:00–24:00"),
        ],
        valid_from: date(2026, 12, 1),
        valid_until: Some(date(2027, 11, 30)),
        office: "Ufficio Mobilità e Polizia locale".into(),
        signatory: Signatory {
            name: "Ing. Paolo Verdi".into(),
            role: None,
        },
        verification_url: VERIFY_URL.into(),
        notes: vec![
            "Il permesso va esposto in originale, ben visibile, sul parabrezza del veicolo.".into(),
            "Imposta di bollo di € 16,00 assolta in modo virtuale.".into(),
        ],
    }
}

fn decision(kind: DecisionKind) -> Decision {
    Decision {
        lang: Lang::It,
        comune: comune(),
        kind,
        protocol: stamp("0000070/2026", "2026-12-03T14:05:00Z"),
        request_protocol: stamp("0000042/2026", "2026-11-26T09:15:00Z"),
        recipient: Person {
            name: "Niccolò Bàrberi".into(),
            codice_fiscale: "BRBNCL80A01H501U".into(),
        },
        service: "Occupazione di suolo pubblico".into(),
        body: vec![
            "Esaminata la domanda, l'area richiesta risulta già occupata da un cantiere \
             stradale autorizzato fino al 31/12/2026."
                .into(),
            "Per questo motivo l'occupazione non può essere concessa nelle date indicate.".into(),
        ],
        reply_by: Some(date(2026, 12, 13)),
        follow_url: "https://borgoverde.example.it/borgoverde/area-personale/".into(),
        office: "Ufficio Tributi e Suolo pubblico".into(),
        signatory: Signatory {
            name: "Dott.ssa Maria Rossi".into(),
            role: Some("La Responsabile del procedimento".into()),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// The tools

fn assert_contains_all(text: &str, expected: &[&str]) {
    let missing: Vec<&&str> = expected.iter().filter(|e| !text.contains(**e)).collect();
    assert!(missing.is_empty(), "missing {missing:?} in:\n{text}");
}

// ---------------------------------------------------------------------------------------------
// Receipts

#[test]
fn receipt_states_what_article_18_bis_requires() {
    let pdf = TempPdf::new(&render_receipt(&receipt()).unwrap());
    let Some(text) = pdftotext(&pdf) else { return };
    assert_contains_all(
        &text,
        &[
            "Comune di Borgoverde",
            "Piazza della Libertà 1, 00010 Borgoverde (RM)",
            "80012345678",
            "protocollo@pec.comune.borgoverde.it",
            "Ricevuta di presentazione",
            "Protocollo n. 0000042/2026 del 26/11/2026 alle 10:15",
            "Data di presentazione 26/11/2026 alle 10:15",
            "Occupazione di suolo pubblico",
            "Niccolò Bàrberi",
            "BRBNCL80A01H501U",
            "Ufficio Tributi e Suolo pubblico",
            "Dott.ssa Maria Rossi",
            "30 giorni: entro il 26/12/2026",
            "si intende accolta (silenzio-assenso, art. 20 della L. 241/1990)",
            "Segretario comunale, dott. Luca Neri",
            "https://borgoverde.example.it/borgoverde/area-personale/",
            "Superficie occupata",
            "12,50 m²",
            "è necessario montare un ponteggio perché la via è stretta",
            "Planimetria dell'area (246 KB)",
            DIGEST,
            "Imposta di bollo sull'istanza € 16,00",
            "Canone unico patrimoniale € 187,50",
            "Totale € 203,50",
            "Pagina 1 di ",
        ],
    );
    assert!(!text.contains("Presentata allo sportello"));
    assert_eq!(
        links(&pdf).unwrap(),
        ["https://borgoverde.example.it/borgoverde/area-personale/"]
    );
}

#[test]
fn receipt_says_what_silence_means_when_it_grants_nothing() {
    let mut receipt = receipt();
    receipt.silence = Silence::Inaction;
    receipt.filed_by = Some("Anna Conti, Ufficio relazioni con il pubblico".into());
    receipt.amounts.clear();
    let pdf = TempPdf::new(&render_receipt(&receipt).unwrap());
    let Some(text) = pdftotext(&pdf) else { return };
    assert_contains_all(
        &text,
        &[
            "Il silenzio dell'ufficio non equivale ad accoglimento",
            "titolare del potere sostitutivo",
            "Presentata allo sportello da Anna Conti, Ufficio relazioni con il pubblico",
        ],
    );
    assert!(!text.contains("silenzio-assenso"));
    assert!(!text.contains("Importi dovuti"));
}

#[test]
fn long_summaries_continue_on_further_pages() {
    let mut receipt = receipt();
    let long = "Descrizione dettagliata dell'intervento, con più fasi di lavoro. ".repeat(80);
    receipt.answers = (1..=40)
        .map(|n| {
            Row::new(
                format!("Domanda numero {n}"),
                format!("Risposta numero {n}"),
            )
        })
        .chain([Row::new("Descrizione", long.trim())])
        .collect();
    let pdf = TempPdf::new(&render_receipt(&receipt).unwrap());
    let Some(info) = pdfinfo(&pdf) else { return };
    let pages: usize = info
        .lines()
        .find_map(|line| line.strip_prefix("Pages: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages >= 3, "{pages} pages");
    let text = pdftotext(&pdf).unwrap();
    for n in 1..=40 {
        assert!(
            text.contains(&format!("Domanda numero {n} Risposta numero {n}")),
            "row {n}"
        );
    }
    assert_eq!(text.matches("dettagliata").count(), 80);
    assert!(text.contains(&format!("Pagina {pages} di {pages}")));
    // Continuation pages repeat who and what the document is.
    assert!(
        text.matches("Comune di Borgoverde · Ricevuta prot. n. 0000042/2026")
            .count()
            >= pages
    );
}

#[test]
fn receipt_in_english() {
    let mut receipt = receipt();
    receipt.lang = Lang::En;
    let bytes = render_receipt(&receipt).unwrap();
    assert!(contains(&bytes, b"/Lang(en)"));
    let pdf = TempPdf::new(&bytes);
    let Some(text) = pdftotext(&pdf) else { return };
    assert_contains_all(
        &text,
        &[
            "Receipt of submission",
            "Protocol no. 0000042/2026 of 26/11/2026 at 10:15",
            "30 days: by 26/12/2026",
            "the application is deemed granted",
            "Total € 203,50",
            "Page 1 of ",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Permits

#[test]
fn permit_shows_its_data_and_a_qr_code_of_its_verification_page() {
    let pdf = TempPdf::new(&render_permit(&permit()).unwrap());
    let Some(text) = pdftotext(&pdf) else { return };
    assert_contains_all(
        &text,
        &[
            "Comune di Borgoverde",
            "Permesso di accesso alla ZTL",
            "N. ZTL-2026-000123",
            "Prot. n. 0000057/2026 del 27/11/2026 alle 09:30",
            "Titolare Niccolò Bàrberi",
            "Targhe AB123CD, EF456GH",
            "Centro storico, Borgo antico",
            "00:00–24:00",
            "Valido dal 01/12/2026",
            "Valido fino al 30/11/2027",
            "Verifica dell'autenticità",
            VERIFY_URL,
            "Imposta di bollo di € 16,00 assolta in modo virtuale.",
            "Ufficio Mobilità e Polizia locale",
            "Il Responsabile del servizio",
            "Ing. Paolo Verdi",
        ],
    );
    assert_eq!(links(&pdf).unwrap(), [VERIFY_URL]);
    let Some(codes) = scan_qr(&pdf) else { return };
    assert_eq!(codes, [VERIFY_URL]);
}

#[test]
fn permit_without_an_end_is_valid_until_revoked() {
    let mut permit = permit();
    permit.valid_until = None;
    permit.lang = Lang::En;
    let pdf = TempPdf::new(&render_permit(&permit).unwrap());
    let Some(text) = pdftotext(&pdf) else { return };
    assert_contains_all(
        &text,
        &[
            "Valid from 01/12/2026",
            "Expiry none, valid until revoked",
            "The head of service",
        ],
    );
    assert!(!text.contains("Valid until"));
}

#[test]
fn a_verification_url_too_long_for_a_qr_code_is_an_error() {
    let mut permit = permit();
    permit.verification_url = format!("https://example.it/{}", "x".repeat(4000));
    assert!(matches!(render_permit(&permit), Err(DocumentError::Qr(_))));
}

// ---------------------------------------------------------------------------------------------
// Decisions

#[test]
fn each_decision_carries_its_title_and_legal_notice() {
    let cases = [
        (
            DecisionKind::Rejection,
            "Provvedimento di diniego",
            "ricorso al Tribunale amministrativo regionale entro 60 giorni",
            None,
        ),
        (
            DecisionKind::DocumentsRequest,
            "Richiesta di integrazione documentale",
            "per non più di 30 giorni (art. 2, comma 7, della L. 241/1990)",
            Some("Termine per inviare i documenti richiesti: 13/12/2026."),
        ),
        (
            DecisionKind::IntendedRefusal,
            "Comunicazione dei motivi ostativi all'accoglimento dell'istanza",
            "Entro 10 giorni dal ricevimento di questa comunicazione",
            Some("Termine per presentare osservazioni: 13/12/2026."),
        ),
    ];
    for (kind, title, notice, deadline) in cases {
        let pdf = TempPdf::new(&render_decision(&decision(kind)).unwrap());
        let Some(text) = pdftotext(&pdf) else { return };
        assert_contains_all(
            &text,
            &[
                title,
                notice,
                "Protocollo n. 0000070/2026 del 03/12/2026 alle 15:05",
                "Destinatario Niccolò Bàrberi",
                "istanza prot. n. 0000042/2026 del 26/11/2026 alle 10:15",
                "l'area richiesta risulta già occupata",
                "La Responsabile del procedimento",
            ],
        );
        match deadline {
            Some(deadline) => assert!(text.contains(deadline), "{kind:?}: {text}"),
            None => assert!(!text.contains("13/12/2026"), "{kind:?}: {text}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// pagoPA payment notices and receipts

fn nav(base: u64) -> NoticeNumber {
    NoticeNumber::new(
        SegregationCode::new(1).unwrap(),
        IuvBase::new(base).unwrap(),
    )
}

fn creditor_cf() -> EnteCodiceFiscale {
    EnteCodiceFiscale::parse("80012345676").unwrap()
}

fn payment_notice() -> PaymentNotice {
    PaymentNotice {
        subject: "TARI 2026 - Tassa sui rifiuti, utenza domestica".into(),
        creditor: NoticeCreditor {
            name: "Comune di Borgoverde".into(),
            fiscal_code: creditor_cf(),
            sector: Some("Ufficio Tributi".into()),
            info: Some("Piazza della Libertà 1, 00010 Borgoverde (RM) · tel. 06 1234567".into()),
            website: Some("www.comune.borgoverde.it".into()),
            cbill: Some("AB12C".into()),
            postal_account: Some(PostalAccount::parse("16302093").unwrap()),
            postal_account_holder: Some("Comune di Borgoverde - Servizio Tesoreria".into()),
        },
        debtor: NoticeDebtor {
            fiscal_code: "BRBNCL80A01H501U".into(),
            full_name: "Niccolò Bàrberi".into(),
            address: Some("Via Giuseppe Garibaldi 12, 00010 Borgoverde (RM)".into()),
        },
        reason: "TARI 2026 rata unica".into(),
        options: NoticeOptions {
            single: Some(NoticeInstalment {
                notice_number: nav(2_026_000_000_042),
                amount: Cents::new(102_099),
                due_date: Some(date(2026, 12, 16)),
            }),
            instalments: Vec::new(),
        },
    }
}

fn instalment_notice() -> PaymentNotice {
    let mut notice = payment_notice();
    notice.creditor.postal_account = None;
    notice.creditor.postal_account_holder = None;
    notice.options = NoticeOptions {
        single: None,
        instalments: [(43, 34_033, 1), (44, 34_033, 3), (45, 34_033, 5)]
            .into_iter()
            .map(|(base, cents, month)| NoticeInstalment {
                notice_number: nav(2_026_000_000_000 + base),
                amount: Cents::new(cents),
                due_date: Some(date(2027, month, 31)),
            })
            .collect(),
    };
    notice
}

#[test]
fn payment_notice_with_a_single_payment_and_a_postal_slip() {
    let notice = payment_notice();
    let pdf = TempPdf::new(&render_payment_notice(&notice).unwrap());
    let single = notice.options.single.as_ref().unwrap();
    let Some(text) = pdftotext(&pdf) else { return };
    assert_contains_all(
        &text,
        &[
            "AVVISO DI PAGAMENTO",
            "pagoPA",
            "TARI 2026 - Tassa sui rifiuti, utenza domestica",
            "Comune di Borgoverde",
            "Importo 1.020,99 Euro",
            "Entro il 16/12/2026",
            "Codice fiscale 80012345676",
            "Ufficio Tributi",
            "Codice CBILL AB12C",
            "Nome e cognome Niccolò Bàrberi",
            "Codice fiscale BRBNCL80A01H501U",
            "PAGA CON L'APP IO",
            "sul sito di Comune di Borgoverde (www.comune.borgoverde.it)",
            "Home Banking",
            "PAGA SUL TERRITORIO",
            "Rata unica",
            &single.notice_number.printed(),
            "Bollettino Postale PA",
            "Conto corrente postale 000016302093",
            "Intestato a Comune di Borgoverde - Servizio Tesoreria",
            "Oggetto del pagamento TARI 2026 rata unica",
        ],
    );
    assert_eq!(single.notice_number.printed(), "3012 0260 0000 0042 44");
    assert!(!text.contains("Rata 1 di"));

    let Some(codes) = scan_all_qr(&pdf) else {
        return;
    };
    let expected = qr_payload(&single.notice_number, &creditor_cf(), single.amount).unwrap();
    assert_eq!(codes, [expected]);

    let matrix = PosteDataMatrix {
        notice: single.notice_number.clone(),
        postal_account: PostalAccount::parse("16302093").unwrap(),
        amount: single.amount,
        creditor: creditor_cf(),
        debtor_fiscal_code: "BRBNCL80A01H501U".into(),
        debtor_name: "Niccolò Bàrberi".into(),
        reason: "TARI 2026 rata unica".into(),
    };
    let Some(matrices) = scan_data_matrices(&pdf) else {
        return;
    };
    assert_eq!(matrices, [matrix.payload()]);
    assert_eq!(matrices[0].len(), 256);
}

#[test]
fn payment_notice_with_three_instalments() {
    let notice = instalment_notice();
    let pdf = TempPdf::new(&render_payment_notice(&notice).unwrap());
    let Some(text) = pdftotext(&pdf) else { return };
    let mut expected_text = vec![
        "Importo 1.020,99 Euro",
        "Prima scadenza 31/01/2027",
        "Puoi pagare a rate: 3 rate",
        "Rata 1 di 3",
        "Rata 2 di 3",
        "Rata 3 di 3",
        "340,33 Euro",
        "31/03/2027",
        "31/05/2027",
        "80012345676",
    ];
    let printed: Vec<String> = notice
        .options
        .instalments
        .iter()
        .map(|option| option.notice_number.printed())
        .collect();
    expected_text.extend(printed.iter().map(String::as_str));
    assert_contains_all(&text, &expected_text);
    assert!(!text.contains("Bollettino Postale PA"));
    assert!(!text.contains("Rata unica"));

    let Some(codes) = scan_all_qr(&pdf) else {
        return;
    };
    let mut expected: Vec<String> = notice
        .options
        .instalments
        .iter()
        .map(|option| qr_payload(&option.notice_number, &creditor_cf(), option.amount).unwrap())
        .collect();
    expected.sort();
    assert_eq!(codes, expected);
}

#[test]
fn a_payment_notice_with_a_single_payment_and_instalments_spans_pages() {
    let mut notice = instalment_notice();
    notice.options.single = payment_notice().options.single;
    notice.creditor = payment_notice().creditor;
    let pdf = TempPdf::new(&render_payment_notice(&notice).unwrap());
    let Some(text) = pdftotext(&pdf) else { return };
    assert_contains_all(
        &text,
        &[
            "Puoi pagare in un'unica soluzione o a rate (3 rate)",
            "Rata unica (in alternativa alle rate)",
            "Rata 3 di 3",
            "Bollettino Postale PA · Rata 3 di 3",
            "Pagina 2 di ",
            // The running header of continuation pages.
            "TARI 2026 - Tassa sui rifiuti, utenza domestica · Comune di Borgoverde · pagoPA",
        ],
    );
    let Some(matrices) = scan_data_matrices(&pdf) else {
        return;
    };
    assert_eq!(matrices.len(), 4);
    assert!(matrices.iter().all(|payload| payload.len() == 256));
}

#[test]
fn invalid_payment_notices_are_refused() {
    let mut notice = payment_notice();
    notice.subject = "x".repeat(91);
    assert!(matches!(
        render_payment_notice(&notice),
        Err(DocumentError::InvalidNotice(_))
    ));
    let mut notice = payment_notice();
    notice.options.single = None;
    assert!(matches!(
        render_payment_notice(&notice),
        Err(DocumentError::InvalidNotice(_))
    ));
    let mut notice = payment_notice();
    if let Some(single) = notice.options.single.as_mut() {
        single.amount = Cents::ZERO;
    }
    assert!(matches!(
        render_payment_notice(&notice),
        Err(DocumentError::InvalidNotice(_))
    ));
    let mut notice = payment_notice();
    if let Some(single) = notice.options.single.as_mut() {
        // Fits the QR code's eleven digits, not the postal code line's ten.
        single.amount = Cents::new(10_000_000_000);
    }
    assert!(matches!(
        render_payment_notice(&notice),
        Err(DocumentError::InvalidNotice(_))
    ));
}

fn payment_receipt() -> PaymentReceipt {
    let notice_number = nav(2_026_000_000_042);
    PaymentReceipt {
        lang: Lang::It,
        comune: comune(),
        payer: Person {
            name: "Niccolò Bàrberi".into(),
            codice_fiscale: "BRBNCL80A01H501U".into(),
        },
        description: "TARI 2026, rata unica".into(),
        iuv: notice_number.iuv().to_string(),
        notice_number,
        amount: Cents::new(102_099),
        paid_at: "2026-12-10T15:42:00Z".parse().unwrap(),
        psp: Some("Banca di Prova S.p.A.".into()),
        receipt_id: "c2f1e0a4b8d34c6f9e7a5b3d1f0e2c4a".into(),
        transfers: vec![
            AmountDue {
                label: "TARI".into(),
                amount: Cents::new(97_237),
            },
            AmountDue {
                label: "TEFA (tributo provinciale)".into(),
                amount: Cents::new(4_862),
            },
        ],
    }
}

#[test]
fn payment_receipt_states_what_was_paid() {
    let pdf = TempPdf::new(&render_payment_receipt(&payment_receipt()).unwrap());
    let Some(text) = pdftotext(&pdf) else { return };
    assert_contains_all(
        &text,
        &[
            "Ricevuta di pagamento",
            "Comune di Borgoverde",
            "Oggetto del pagamento TARI 2026, rata unica",
            "Niccolò Bàrberi",
            "Importo pagato € 1.020,99",
            "Data del pagamento 10/12/2026 alle 16:42",
            "Codice avviso 3012 0260 0000 0042 44",
            "IUV 01202600000004244",
            "Banca di Prova S.p.A.",
            "c2f1e0a4b8d34c6f9e7a5b3d1f0e2c4a",
            "TEFA (tributo provinciale) € 48,62",
        ],
    );
}

#[test]
fn payment_receipt_in_english() {
    let mut receipt = payment_receipt();
    receipt.lang = Lang::En;
    receipt.psp = None;
    receipt.transfers.clear();
    let pdf = TempPdf::new(&render_payment_receipt(&receipt).unwrap());
    let Some(text) = pdftotext(&pdf) else { return };
    assert_contains_all(
        &text,
        &[
            "Payment receipt",
            "Amount paid € 1.020,99",
            "Notice number 3012 0260 0000 0042 44",
            "Receipt ID c2f1e0a4b8d34c6f9e7a5b3d1f0e2c4a",
        ],
    );
    assert!(!text.contains("Payment service provider"));
    assert!(!text.contains("Breakdown"));
}

// ---------------------------------------------------------------------------------------------
// The PDF itself

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[test]
fn documents_are_tagged_a4_with_title_and_language() {
    let documents = [
        render_receipt(&receipt()).unwrap(),
        render_permit(&permit()).unwrap(),
        render_decision(&decision(DecisionKind::Rejection)).unwrap(),
        render_payment_notice(&payment_notice()).unwrap(),
        render_payment_receipt(&payment_receipt()).unwrap(),
    ];
    for bytes in &documents {
        assert!(bytes.starts_with(b"%PDF-1.7"));
        assert!(contains(bytes, b"/Lang(it)"));
        assert!(contains(bytes, b"pdfuaid:part"));
        assert!(contains(bytes, b"pdfaid:part"));
        let pdf = TempPdf::new(bytes);
        let Some(info) = pdfinfo(&pdf) else { return };
        assert_contains_all(
            &info,
            &[
                "Tagged: yes",
                "595.28 x 841.89 pts (A4)",
                "Creator: Sportello",
            ],
        );
    }
    let pdf = TempPdf::new(&documents[0]);
    if let Some(info) = pdfinfo(&pdf) {
        assert!(
            info.contains("Title: Ricevuta di presentazione prot. n. 0000042/2026"),
            "{info}"
        );
        assert!(info.contains("Author: Comune di Borgoverde"), "{info}");
    }
}

#[test]
fn fonts_are_embedded_and_subset() {
    let bytes = render_receipt(&receipt()).unwrap();
    // The two faces are 110 KB; subset, the whole receipt is a fraction of that.
    assert!(bytes.len() < 60_000, "{} bytes", bytes.len());
    let pdf = TempPdf::new(&bytes);
    let Some(fonts) = run("pdffonts", &[pdf.path().as_os_str()]) else {
        return;
    };
    let faces: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(faces.len(), 2, "{fonts}");
    for face in faces {
        // name+subset tag, type, encoding, emb, sub, uni
        let columns: Vec<&str> = face.split_whitespace().collect();
        assert!(columns[0].contains("+TitilliumWeb"), "{face}");
        assert!(face.contains("Identity-H"), "{face}");
        assert_eq!(
            &columns[columns.len() - 5..columns.len() - 2],
            ["yes", "yes", "yes"],
            "{face}"
        );
    }
}

#[test]
fn rendering_is_deterministic() {
    assert_eq!(
        render_receipt(&receipt()).unwrap(),
        render_receipt(&receipt()).unwrap()
    );
    assert_eq!(
        render_permit(&permit()).unwrap(),
        render_permit(&permit()).unwrap()
    );
    assert_eq!(
        render_payment_notice(&payment_notice()).unwrap(),
        render_payment_notice(&payment_notice()).unwrap()
    );
}

#[test]
fn text_outside_the_font_and_control_characters_still_render() {
    let mut receipt = receipt();
    receipt.applicant.name = "Олена Шевченко\u{feff}\u{7}".into();
    receipt.answers = vec![
        Row::new("Note", "riga uno\r\nriga\tdue 🙂 \u{200b}fine"),
        Row::new("Vuota", ""),
    ];
    let bytes = render_receipt(&receipt).unwrap();
    let pdf = TempPdf::new(&bytes);
    let Some(text) = pdftotext(&pdf) else { return };
    assert_contains_all(&text, &["Олена Шевченко", "riga uno riga due", "fine"]);
}

// ---------------------------------------------------------------------------------------------
// Samples for the eye

/// Writes one of each document to `$SPORTELLO_SAMPLES` (default: a `sportello-samples`
/// folder in the temporary directory). Run with
/// `cargo test -p sportello-documents --test documents -- --ignored write_samples`.
#[test]
#[ignore = "writes sample PDFs for a person to look at"]
fn write_samples() {
    let dir = std::env::var_os("SPORTELLO_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("sportello-samples"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut long = receipt();
    long.answers.extend((1..=30).map(|n| {
        Row::new(
            format!("Campo aggiuntivo {n}"),
            "Un valore lungo che va a capo, con lettere accentate: à è é ì ò ù, e il segno €. "
                .repeat(n % 3 + 1),
        )
    }));
    let files = [
        ("ricevuta.pdf", render_receipt(&receipt()).unwrap()),
        ("ricevuta-lunga.pdf", render_receipt(&long).unwrap()),
        ("permesso.pdf", render_permit(&permit()).unwrap()),
        (
            "diniego.pdf",
            render_decision(&decision(DecisionKind::Rejection)).unwrap(),
        ),
        (
            "preavviso-10-bis.pdf",
            render_decision(&decision(DecisionKind::IntendedRefusal)).unwrap(),
        ),
        (
            "avviso-pagamento.pdf",
            render_payment_notice(&payment_notice()).unwrap(),
        ),
        (
            "avviso-pagamento-rate.pdf",
            render_payment_notice(&instalment_notice()).unwrap(),
        ),
        (
            "ricevuta-pagamento.pdf",
            render_payment_receipt(&payment_receipt()).unwrap(),
        ),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    eprintln!("samples written to {}", dir.display());
}
