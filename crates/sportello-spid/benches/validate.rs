//! SPID response validation against the raw RSA-2048 verification it is built on.
//!
//! Run it with `./bench/spid-validate.sh` (release build, pinned to one core). It prints
//! validations/s, RSA verifies/s measured in the same run, and their ratio, which compares
//! across machines better than either figure.
//!
//! The response is SPID-shaped like the one of the Python study (`bench_saml_validate.py`):
//! Response and Assertion both signed (RSA-2048, SHA-256, exc-c14n, certificate in KeyInfo),
//! ten attributes, built by the crate's test IdP at start-up so it never goes stale.
//!
//! A plain `harness = false` timer rather than criterion: criterion 0.8 adds 15 crates and made
//! the crate's cold `cargo test` build 73% longer (dev-dependencies are built for every test
//! target), for one figure. Method: the two workloads alternate in rounds (so that a change of
//! machine load hits both), each round times a batch of about 50 ms, and the median round is
//! reported with the interquartile range.
//!
//! Arguments (after `--`): `--rounds N` (default 31), `--phases` to also time the main steps.

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use jiff::Timestamp;
use sportello_spid::SpidLevel;
use sportello_spid::dsig;
use sportello_spid::idp::ResponseBuilder;
use sportello_spid::keys::{Certificate, CertificateSubject, SignatureAlgorithm, SigningKey};
use sportello_spid::response::{Expected, validate};
use sportello_spid::xml::{self, Limits, ns};

const IDP: &str = "https://idp.example.it";
const ACS: &str = "https://sp.example.it/spid/acs";
const SP: &str = "https://sp.example.it/spid/metadata";
const REQUEST_ID: &str = "_8188a35158554091a0fc241fd9654aae";
const BATCH: Duration = Duration::from_millis(50);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse::<usize>().expect("--rounds N"))
        .unwrap_or(31)
        .max(3);
    let phases = args.iter().any(|a| a == "--phases");

    let instant: Timestamp = "2026-11-26T17:09:41Z".parse().unwrap();
    let key = SigningKey::generate(2048).unwrap();
    let subject = CertificateSubject {
        organization: "Bench IdP".into(),
        common_name: "idp.example.it".into(),
        entity_id: IDP.into(),
        organization_identifier: "PA:IT-c_h501".into(),
        locality: "Roma".into(),
        country: "IT".into(),
    };
    let not_before = "2026-01-01T00:00:00Z".parse().unwrap();
    let cert = Certificate::self_signed(&key, &subject, not_before, 730).unwrap();
    let xml = ResponseBuilder::new(IDP, REQUEST_ID, instant, ACS, SP, instant)
        .unwrap()
        .level(SpidLevel::L2)
        .attribute("spidCode", "AGID-001")
        .attribute("name", "Mario")
        .attribute("familyName", "Rossi")
        .attribute("fiscalNumber", "TINIT-RSSMRA80A01H501U")
        .attribute("email", "mario@example.it")
        .attribute("mobilePhone", "+393331234567")
        .attribute("dateOfBirth", "1980-01-01")
        .attribute("placeOfBirth", "H501")
        .attribute("digitalAddress", "mario@pec.example.it")
        .attribute("address", "Via Roma 1 00100 Roma RM")
        .signed_xml(&key, &cert)
        .unwrap();
    let encoded = B64.encode(&xml);
    let keys = [cert.public_key().clone()];
    let now = instant
        .checked_add(jiff::SignedDuration::from_secs(2))
        .unwrap();
    let expected = Expected::new(REQUEST_ID, instant, IDP, &keys, ACS, SP, SpidLevel::L2).at(now);
    // Checked once outside the loop: timing a failing path would measure nothing useful.
    let login = validate(&encoded, &expected).unwrap();
    assert_eq!(login.attributes.len(), 10);
    println!(
        "response: {} bytes of XML ({} base64), 2 signatures, RSA-{}, {} attributes",
        xml.len(),
        encoded.len(),
        key.bits(),
        login.attributes.len()
    );

    // The RSA floor: one PKCS#1 v1.5 SHA-256 verification with the same key, of a message the
    // size of a canonical SignedInfo.
    let message = vec![b'x'; 700];
    let signature = key.sign(SignatureAlgorithm::RsaSha256, &message).unwrap();
    let public = key.public_key();

    let mut validate_op = || {
        validate(black_box(&encoded), black_box(&expected)).unwrap();
    };
    let mut rsa_op = || {
        public
            .verify(
                SignatureAlgorithm::RsaSha256,
                black_box(&message),
                black_box(&signature),
            )
            .unwrap();
    };
    let [validation, rsa] = measure(rounds, [&mut validate_op, &mut rsa_op]);

    println!(
        "validate       median {:>8.1} µs  (IQR {:.1}-{:.1})  {:>9.0} validations/s",
        validation.median / 1e3,
        validation.q1 / 1e3,
        validation.q3 / 1e3,
        1e9 / validation.median
    );
    println!(
        "rsa2048 verify median {:>8.1} µs  (IQR {:.1}-{:.1})  {:>9.0} verifies/s",
        rsa.median / 1e3,
        rsa.q1 / 1e3,
        rsa.q3 / 1e3,
        1e9 / rsa.median
    );
    println!(
        "ratio: {:.3} validations per RSA verify; the 2 verifies are {:.0}% of a validation ({rounds} rounds, one thread)",
        rsa.median / validation.median,
        200.0 * rsa.median / validation.median
    );

    if phases {
        print_phases(&encoded, &keys, rounds);
    }
}

/// Where a validation's time goes, with the crate's public pieces (same order as `validate`).
fn print_phases(encoded: &str, keys: &[sportello_spid::keys::PublicKey], rounds: usize) {
    let raw = B64.decode(encoded).unwrap();
    let text = std::str::from_utf8(&raw).unwrap();
    let doc = xml::parse(text, &Limits::MESSAGE).unwrap();
    let root = doc.root_element();
    let assertion = xml::children(root, ns::SAML, "Assertion").next().unwrap();
    let signed_assertion = dsig::verify_enveloped(assertion, keys).unwrap();
    let signed_response = dsig::verify_enveloped(root, keys).unwrap();

    let mut decode_op = || {
        black_box(B64.decode(black_box(encoded)).unwrap());
    };
    let mut parse_op = || {
        black_box(xml::parse(black_box(text), &Limits::MESSAGE).unwrap());
    };
    let mut assertion_op = || {
        black_box(dsig::verify_enveloped(black_box(assertion), keys).unwrap());
    };
    let mut response_op = || {
        black_box(dsig::verify_enveloped(black_box(root), keys).unwrap());
    };
    let mut reparse_op = || {
        black_box(signed_assertion.document().unwrap());
        black_box(signed_response.document().unwrap());
    };
    let names = [
        "base64 decode",
        "parse",
        "verify Assertion",
        "verify Response",
        "re-parse both verified",
    ];
    let stats = measure(
        rounds,
        [
            &mut decode_op,
            &mut parse_op,
            &mut assertion_op,
            &mut response_op,
            &mut reparse_op,
        ],
    );
    for (name, s) in names.iter().zip(stats) {
        println!("  phase {name:<24} median {:>8.1} µs", s.median / 1e3);
    }
}

struct Stats {
    median: f64,
    q1: f64,
    q3: f64,
}

/// Nanoseconds per call of each operation: `rounds` rounds in which every operation runs one
/// batch of about [`BATCH`], operations alternating; median and quartiles over the rounds.
fn measure<const N: usize>(rounds: usize, mut ops: [&mut dyn FnMut(); N]) -> [Stats; N] {
    // Warm-up (caches, branch predictors, CPU frequency), then a batch size per operation.
    let sizes: Vec<u64> = ops
        .iter_mut()
        .map(|op| {
            let start = Instant::now();
            let mut n = 0u64;
            while start.elapsed() < BATCH * 4 {
                op();
                n += 1;
            }
            (n / 4).max(1)
        })
        .collect();
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); N];
    for _ in 0..rounds {
        for (i, op) in ops.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..sizes[i] {
                op();
            }
            samples[i].push(start.elapsed().as_nanos() as f64 / sizes[i] as f64);
        }
    }
    std::array::from_fn(|i| stats(std::mem::take(&mut samples[i])))
}

fn stats(mut samples: Vec<f64>) -> Stats {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Stats {
        median: at(0.5),
        q1: at(0.25),
        q3: at(0.75),
    }
}
