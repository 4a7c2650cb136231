//! RSA keys, X.509 certificates shaped as Avviso SPID n.29 v3 requires, raw signatures.
//!
//! Signing and verification use `ring`; `rsa` is used only to generate keys (ring cannot).
//! Only RSA PKCS#1 v1.5 with SHA-256/384/512 exists here: SHA-1 never.
//!
//! - [`SigningKey`]: our private key (RSA 2048-4096 bits, ring's signing range).
//! - [`PublicKey`]: a trusted verification key (RSA 2048-8192 bits), from a certificate.
//! - [`Certificate`]: parsed just enough for validity, subject and key; it is *not* validated
//!   against any CA: in SAML metadata the certificate is only a key container.

mod der;

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use ring::signature::{self, KeyPair as _, RsaKeyPair};

/// Errors about keys, certificates and raw signatures.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("RSA key generation failed: {0}")]
    Generate(String),
    #[error("unsupported RSA key size {0} bits (allowed: {1})")]
    KeySize(usize, &'static str),
    #[error("invalid private key: {0}")]
    InvalidPrivateKey(String),
    #[error("invalid public key: {0}")]
    InvalidPublicKey(String),
    #[error("unsupported key type {0} (only RSA)")]
    UnsupportedKeyType(String),
    #[error("invalid certificate: {0}")]
    InvalidCertificate(String),
    #[error("invalid base64: {0}")]
    Base64(String),
    #[error("no {0} PEM block found")]
    Pem(&'static str),
    #[error("invalid certificate subject: {0}")]
    InvalidSubject(String),
    #[error("invalid validity period: {0}")]
    Validity(String),
    #[error("signing failed")]
    Sign,
    #[error("the signature does not verify")]
    BadSignature,
}

impl From<der::DerError> for KeyError {
    fn from(e: der::DerError) -> Self {
        KeyError::InvalidCertificate(e.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Algorithms

/// XML-DSig signature algorithms we accept and produce (RSA PKCS#1 v1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    RsaSha256,
    RsaSha384,
    RsaSha512,
}

impl SignatureAlgorithm {
    pub const ALL: [SignatureAlgorithm; 3] = [Self::RsaSha256, Self::RsaSha384, Self::RsaSha512];

    /// The XML-DSig URI (also the HTTP-Redirect `SigAlg` value).
    pub fn uri(self) -> &'static str {
        match self {
            Self::RsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            Self::RsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
            Self::RsaSha512 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
        }
    }

    /// The algorithm for a URI; `None` for anything else (rsa-sha1 included).
    pub fn from_uri(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.uri() == uri)
    }

    /// The digest the signature hashes with.
    pub fn digest(self) -> DigestAlgorithm {
        match self {
            Self::RsaSha256 => DigestAlgorithm::Sha256,
            Self::RsaSha384 => DigestAlgorithm::Sha384,
            Self::RsaSha512 => DigestAlgorithm::Sha512,
        }
    }

    fn ring_signing(self) -> &'static dyn signature::RsaEncoding {
        match self {
            Self::RsaSha256 => &signature::RSA_PKCS1_SHA256,
            Self::RsaSha384 => &signature::RSA_PKCS1_SHA384,
            Self::RsaSha512 => &signature::RSA_PKCS1_SHA512,
        }
    }

    fn ring_verification(self) -> &'static signature::RsaParameters {
        // The 2048-8192 variants: ring itself refuses keys under 2048 bits.
        match self {
            Self::RsaSha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Self::RsaSha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Self::RsaSha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        }
    }
}

/// XML-DSig digest algorithms we accept (`DigestMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlgorithm {
    pub const ALL: [DigestAlgorithm; 3] = [Self::Sha256, Self::Sha384, Self::Sha512];

    pub fn uri(self) -> &'static str {
        match self {
            Self::Sha256 => "http://www.w3.org/2001/04/xmlenc#sha256",
            Self::Sha384 => "http://www.w3.org/2001/04/xmldsig-more#sha384",
            Self::Sha512 => "http://www.w3.org/2001/04/xmlenc#sha512",
        }
    }

    pub fn from_uri(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.uri() == uri)
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        self.ring().output_len()
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        ring::digest::digest(self.ring(), data).as_ref().to_vec()
    }

    fn ring(self) -> &'static ring::digest::Algorithm {
        match self {
            Self::Sha256 => &ring::digest::SHA256,
            Self::Sha384 => &ring::digest::SHA384,
            Self::Sha512 => &ring::digest::SHA512,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Private key

/// Sizes ring can sign with.
const SIGNING_BITS: std::ops::RangeInclusive<usize> = 2048..=4096;
const SIGNING_BITS_TEXT: &str = "2048 to 4096 bits";
/// Sizes we verify with.
const VERIFY_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;
const VERIFY_BITS_TEXT: &str = "2048 to 8192 bits";

/// An RSA private key. Cheap to clone (shared); `Debug` never shows the key.
#[derive(Clone)]
pub struct SigningKey {
    inner: Arc<SigningKeyInner>,
}

struct SigningKeyInner {
    pkcs8: Vec<u8>,
    pair: RsaKeyPair,
    public: PublicKey,
}

impl Drop for SigningKeyInner {
    fn drop(&mut self) {
        // Best effort: do not leave the private key in freed memory (ring wipes its own copy).
        self.pkcs8.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&self.pkcs8);
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh RSA key with public exponent 65537. `bits` must be 2048-4096 (3072 is what AgID
    /// recommends). Slow: about a second for 3072 bits in an optimised build.
    pub fn generate(bits: usize) -> Result<Self, KeyError> {
        use rsa::pkcs8::EncodePrivateKey as _;
        if !SIGNING_BITS.contains(&bits) {
            return Err(KeyError::KeySize(bits, SIGNING_BITS_TEXT));
        }
        let key = rsa::PrivateKey::new(&mut getrandom::SysRng, bits)
            .map_err(|e| KeyError::Generate(e.to_string()))?;
        let doc = key
            .to_pkcs8_der()
            .map_err(|e| KeyError::Generate(e.to_string()))?;
        Self::from_pkcs8_der(doc.as_bytes())
    }

    /// From an unencrypted PKCS#8 `PrivateKeyInfo` (RSA).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let pair =
            RsaKeyPair::from_pkcs8(der).map_err(|e| KeyError::InvalidPrivateKey(e.to_string()))?;
        let public = PublicKey::from_rsa_public_key_der(pair.public_key().as_ref())?;
        if !SIGNING_BITS.contains(&public.bits()) {
            return Err(KeyError::KeySize(public.bits(), SIGNING_BITS_TEXT));
        }
        Ok(SigningKey {
            inner: Arc::new(SigningKeyInner {
                pkcs8: der.to_vec(),
                pair,
                public,
            }),
        })
    }

    /// From PEM: `PRIVATE KEY` (PKCS#8, what OpenSSL 3 writes) or `RSA PRIVATE KEY` (PKCS#1).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        if let Some(der) = pem_block(pem, "PRIVATE KEY")? {
            return Self::from_pkcs8_der(&der);
        }
        if let Some(der) = pem_block(pem, "RSA PRIVATE KEY")? {
            // Wrap the PKCS#1 RSAPrivateKey into a PKCS#8 PrivateKeyInfo, version 0.
            let pkcs8 = der::sequence(&[
                &der::small_integer(0),
                &rsa_algorithm_identifier(),
                &der::octet_string(&der),
            ]);
            return Self::from_pkcs8_der(&pkcs8);
        }
        Err(KeyError::Pem("PRIVATE KEY"))
    }

    /// The PKCS#8 DER of the key, to store it. Secret.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.inner.pkcs8
    }

    /// The PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) of the key. Secret.
    pub fn to_pkcs8_pem(&self) -> String {
        to_pem("PRIVATE KEY", &self.inner.pkcs8)
    }

    pub fn bits(&self) -> usize {
        self.inner.public.bits()
    }

    /// RSASSA-PKCS1-v1_5 signature of `msg` (which is hashed here, not by the caller).
    pub fn sign(&self, alg: SignatureAlgorithm, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut sig = vec![0u8; self.inner.pair.public().modulus_len()];
        // PKCS#1 v1.5 padding is deterministic; ring only takes an RNG for the API's sake.
        let rng = ring::rand::SystemRandom::new();
        self.inner
            .pair
            .sign(alg.ring_signing(), &rng, msg, &mut sig)
            .map_err(|_| KeyError::Sign)?;
        Ok(sig)
    }

    pub fn public_key(&self) -> PublicKey {
        self.inner.public.clone()
    }
}

// ---------------------------------------------------------------------------------------------
// Public key

/// An RSA public key, trusted because of where it came from (IdP metadata, our config).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    /// Modulus and exponent, big-endian without leading zeros (as ring wants them).
    n: Vec<u8>,
    e: Vec<u8>,
    bits: usize,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &self.bits)
            .field("sha256", &self.fingerprint())
            .finish()
    }
}

const RSA_ENCRYPTION: &[u64] = &[1, 2, 840, 113549, 1, 1, 1];

fn rsa_algorithm_identifier() -> Vec<u8> {
    der::sequence(&[&der::oid(RSA_ENCRYPTION), &der::null()])
}

impl PublicKey {
    /// From a DER `SubjectPublicKeyInfo` (RSA only).
    pub fn from_spki_der(spki: &[u8]) -> Result<Self, KeyError> {
        let bad = |e: der::DerError| KeyError::InvalidPublicKey(e.to_string());
        let spki =
            der::parse_single(spki, der::TAG_SEQUENCE, "SubjectPublicKeyInfo").map_err(bad)?;
        let mut r = spki.reader();
        let alg = r
            .expect(der::TAG_SEQUENCE, "AlgorithmIdentifier")
            .map_err(bad)?;
        let key = r
            .expect(der::TAG_BIT_STRING, "subjectPublicKey")
            .map_err(bad)?;
        r.finish("trailing data in SubjectPublicKeyInfo")
            .map_err(bad)?;
        let mut ar = alg.reader();
        let oid = ar.expect(der::TAG_OID, "algorithm OID").map_err(bad)?;
        if oid.raw != der::oid(RSA_ENCRYPTION).as_slice() {
            return Err(KeyError::UnsupportedKeyType(
                der::oid_to_string(oid.content).unwrap_or_default(),
            ));
        }
        match key.content.split_first() {
            Some((0, rsa_public_key)) => Self::from_rsa_public_key_der(rsa_public_key),
            _ => Err(KeyError::InvalidPublicKey(
                "bit string with unused bits".into(),
            )),
        }
    }

    /// From a DER PKCS#1 `RSAPublicKey`.
    pub fn from_rsa_public_key_der(der_bytes: &[u8]) -> Result<Self, KeyError> {
        let bad = |e: der::DerError| KeyError::InvalidPublicKey(e.to_string());
        let seq = der::parse_single(der_bytes, der::TAG_SEQUENCE, "RSAPublicKey").map_err(bad)?;
        let mut r = seq.reader();
        let n = r.expect(der::TAG_INTEGER, "modulus").map_err(bad)?;
        let e = r.expect(der::TAG_INTEGER, "exponent").map_err(bad)?;
        r.finish("trailing data in RSAPublicKey").map_err(bad)?;
        let n = der::unsigned_integer_content(n.content).map_err(bad)?;
        let e = der::unsigned_integer_content(e.content).map_err(bad)?;
        let bits = match n.first() {
            Some(top) => n.len() * 8 - top.leading_zeros() as usize,
            None => 0,
        };
        if e.is_empty() || e.last().is_some_and(|b| b & 1 == 0) {
            return Err(KeyError::InvalidPublicKey("even public exponent".into()));
        }
        Ok(PublicKey {
            n: n.to_vec(),
            e: e.to_vec(),
            bits,
        })
    }

    /// Size of the modulus in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// DER `SubjectPublicKeyInfo`.
    pub fn spki_der(&self) -> Vec<u8> {
        der::sequence(&[
            &rsa_algorithm_identifier(),
            &der::bit_string(0, &self.rsa_public_key_der()),
        ])
    }

    /// DER PKCS#1 `RSAPublicKey`.
    pub fn rsa_public_key_der(&self) -> Vec<u8> {
        der::sequence(&[
            &der::unsigned_integer(&self.n),
            &der::unsigned_integer(&self.e),
        ])
    }

    /// Hex SHA-256 of the `SubjectPublicKeyInfo` (for logs: identifies the key across certificates).
    pub fn fingerprint(&self) -> String {
        hex(&DigestAlgorithm::Sha256.digest(&self.spki_der()))
    }

    /// Verify an RSASSA-PKCS1-v1_5 signature over `msg`. Keys outside 2048-8192 bits never verify.
    pub fn verify(&self, alg: SignatureAlgorithm, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        if !VERIFY_BITS.contains(&self.bits) {
            return Err(KeyError::KeySize(self.bits, VERIFY_BITS_TEXT));
        }
        signature::RsaPublicKeyComponents {
            n: &self.n,
            e: &self.e,
        }
        .verify(alg.ring_verification(), msg, sig)
        .map_err(|_| KeyError::BadSignature)
    }
}

// ---------------------------------------------------------------------------------------------
// Certificate

/// Subject of an Avviso 29 v3 public-SP certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateSubject {
    /// O, e.g. "Comune di Esempio" (also used as CN).
    pub organization: String,
    /// CN.
    pub common_name: String,
    /// uri (2.5.4.83): the SP entityID.
    pub entity_id: String,
    /// organizationIdentifier (2.5.4.97), e.g. "PA:IT-c_h501".
    pub organization_identifier: String,
    /// L, e.g. "Roma".
    pub locality: String,
    /// C, "IT" (PrintableString).
    pub country: String,
}

/// An X.509 certificate, kept as DER with the fields we use decoded.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    public_key: PublicKey,
    not_before: Timestamp,
    not_after: Timestamp,
    subject: String,
    issuer: String,
    serial: Vec<u8>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("not_after", &self.not_after)
            .field("sha256", &self.sha256_fingerprint())
            .finish()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}
impl Eq for Certificate {}

// OIDs used in certificates.
const SHA256_WITH_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 11];
const AT_CN: &[u64] = &[2, 5, 4, 3];
const AT_C: &[u64] = &[2, 5, 4, 6];
const AT_L: &[u64] = &[2, 5, 4, 7];
const AT_O: &[u64] = &[2, 5, 4, 10];
const AT_URI: &[u64] = &[2, 5, 4, 83];
const AT_ORG_ID: &[u64] = &[2, 5, 4, 97];
const EXT_SKI: &[u64] = &[2, 5, 29, 14];
const EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 15];
const EXT_BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
const EXT_POLICIES: &[u64] = &[2, 5, 29, 32];
const EXT_AKI: &[u64] = &[2, 5, 29, 35];
const QT_UNOTICE: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 2, 2];
/// Certificate policies of Avviso SPID n.29 v3 for a public SP, with their notice texts.
const SP_PUBLIC_POLICIES: [(&[u64], &str); 3] = [
    (&[1, 3, 76, 16], "AgIDroot"),
    (&[1, 3, 76, 16, 6], "agIDcert"),
    (&[1, 3, 76, 16, 4, 2, 1], "cert_SP_Pub"),
];

impl Certificate {
    /// Parse a DER certificate. Only RSA keys are accepted.
    pub fn from_der(der_bytes: &[u8]) -> Result<Self, KeyError> {
        let cert = der::parse_single(der_bytes, der::TAG_SEQUENCE, "Certificate")?;
        let mut r = cert.reader();
        let tbs = r.expect(der::TAG_SEQUENCE, "tbsCertificate")?;
        r.expect(der::TAG_SEQUENCE, "signatureAlgorithm")?;
        r.expect(der::TAG_BIT_STRING, "signatureValue")?;
        r.finish("trailing data in Certificate")?;

        let mut t = tbs.reader();
        if let Some(v) = t.optional(der::context_constructed(0))? {
            let v = der::parse_single(v.content, der::TAG_INTEGER, "version")?;
            if v.content != [2] && v.content != [1] && v.content != [0] {
                return Err(KeyError::InvalidCertificate("unknown version".into()));
            }
        }
        let serial = t.expect(der::TAG_INTEGER, "serialNumber")?.content.to_vec();
        t.expect(der::TAG_SEQUENCE, "signature")?;
        let issuer = t.expect(der::TAG_SEQUENCE, "issuer")?;
        let validity = t.expect(der::TAG_SEQUENCE, "validity")?;
        let subject = t.expect(der::TAG_SEQUENCE, "subject")?;
        let spki = t.expect(der::TAG_SEQUENCE, "subjectPublicKeyInfo")?;
        // issuerUniqueID, subjectUniqueID, extensions: not needed.

        let mut v = validity.reader();
        let not_before = read_time(v.read()?)?;
        let not_after = read_time(v.read()?)?;
        v.finish("trailing data in Validity")?;

        Ok(Certificate {
            der: der_bytes.to_vec(),
            public_key: PublicKey::from_spki_der(spki.raw)?,
            not_before,
            not_after,
            subject: name_summary(subject)?,
            issuer: name_summary(issuer)?,
            serial,
        })
    }

    /// From base64 DER, ignoring ASCII whitespace (as `ds:X509Certificate` content is written).
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der_bytes = B64
            .decode(compact)
            .map_err(|e| KeyError::Base64(e.to_string()))?;
        Self::from_der(&der_bytes)
    }

    /// From the first `CERTIFICATE` PEM block of `pem`.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        match pem_block(pem, "CERTIFICATE")? {
            Some(der_bytes) => Self::from_der(&der_bytes),
            None => Err(KeyError::Pem("CERTIFICATE")),
        }
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Base64 DER on one line, for `ds:X509Certificate` in metadata and signatures.
    pub fn to_base64(&self) -> String {
        B64.encode(&self.der)
    }

    pub fn to_pem(&self) -> String {
        to_pem("CERTIFICATE", &self.der)
    }

    pub fn not_before(&self) -> Timestamp {
        self.not_before
    }

    pub fn not_after(&self) -> Timestamp {
        self.not_after
    }

    /// Whether `now` lies in [notBefore, notAfter].
    pub fn is_valid_at(&self, now: Timestamp) -> bool {
        self.not_before <= now && now <= self.not_after
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The subject DN, readable (`O=…, CN=…, uri=…`), for logs only: never compare it.
    pub fn subject_summary(&self) -> String {
        self.subject.clone()
    }

    /// The issuer DN, readable, for logs only.
    pub fn issuer_summary(&self) -> String {
        self.issuer.clone()
    }

    /// The serial number in hex (as `openssl x509 -serial` shows it, lowercase).
    pub fn serial_hex(&self) -> String {
        hex(&self.serial)
    }

    /// Lowercase hex SHA-256 of the DER, without separators.
    pub fn sha256_fingerprint(&self) -> String {
        hex(&DigestAlgorithm::Sha256.digest(&self.der))
    }

    /// A self-signed certificate as Avviso SPID n.29 v3 requires for a *public* SP, the same shape
    /// as `openssl req -x509` with the configuration of AgID's `spid-compliant-certificates`:
    /// subject O, CN, uri, organizationIdentifier, C, L; basicConstraints CA:FALSE, keyUsage
    /// (critical) digitalSignature + nonRepudiation, the three AgID policies with their notices,
    /// subject and authority key identifiers; sha256WithRSAEncryption; random 159-bit serial.
    pub fn self_signed(
        key: &SigningKey,
        subject: &CertificateSubject,
        not_before: Timestamp,
        days: u32,
    ) -> Result<Certificate, KeyError> {
        let name = encode_subject(subject)?;
        if days == 0 {
            return Err(KeyError::Validity("zero days".into()));
        }
        // Certificates carry whole seconds.
        let not_before = Timestamp::from_second(not_before.as_second())
            .map_err(|e| KeyError::Validity(e.to_string()))?;
        let not_after = not_before
            .checked_add(jiff::SignedDuration::from_hours(i64::from(days) * 24))
            .map_err(|e| KeyError::Validity(e.to_string()))?;
        let validity = der::sequence(&[&encode_time(not_before)?, &encode_time(not_after)?]);

        let mut serial = [0u8; 20];
        getrandom::fill(&mut serial).map_err(|e| KeyError::Generate(e.to_string()))?;
        // Positive and of fixed length: top bit clear, next bit set (RFC 5280: at most 20 octets).
        serial[0] = (serial[0] & 0x7f) | 0x40;

        let public = key.public_key();
        let spki = public.spki_der();
        // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. An identifier, not a
        // security function, and what OpenSSL's `subjectKeyIdentifier = hash` computes.
        let key_id = ring::digest::digest(
            &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            &public.rsa_public_key_der(),
        );
        let key_id = key_id.as_ref();

        let extensions = der::sequence(&[
            &extension(EXT_BASIC_CONSTRAINTS, false, &der::sequence(&[])),
            // digitalSignature (bit 0) + nonRepudiation (bit 1): 0b1100_0000, 6 unused bits.
            &extension(EXT_KEY_USAGE, true, &der::bit_string(6, &[0xc0])),
            &extension(EXT_POLICIES, false, &policies()),
            &extension(EXT_SKI, false, &der::octet_string(key_id)),
            &extension(
                EXT_AKI,
                false,
                &der::sequence(&[&der::tlv(der::context_primitive(0), key_id)]),
            ),
        ]);
        let sig_alg = der::sequence(&[&der::oid(SHA256_WITH_RSA), &der::null()]);
        let tbs = der::sequence(&[
            &der::tlv(der::context_constructed(0), &der::small_integer(2)),
            &der::unsigned_integer(&serial),
            &sig_alg,
            &name,
            &validity,
            &name,
            &spki,
            &der::tlv(der::context_constructed(3), &extensions),
        ]);
        let signature = key.sign(SignatureAlgorithm::RsaSha256, &tbs)?;
        let cert = der::sequence(&[&tbs, &sig_alg, &der::bit_string(0, &signature)]);
        Certificate::from_der(&cert)
    }
}

fn encode_subject(s: &CertificateSubject) -> Result<Vec<u8>, KeyError> {
    let fields = [
        ("organization", &s.organization),
        ("common_name", &s.common_name),
        ("entity_id", &s.entity_id),
        ("organization_identifier", &s.organization_identifier),
        ("locality", &s.locality),
        ("country", &s.country),
    ];
    for (what, v) in fields {
        // X.520 upper bounds are 64 for most attributes; entityIDs can be longer, keep a sane cap.
        if v.trim().is_empty() || v.len() > 1024 || v.chars().any(char::is_control) {
            return Err(KeyError::InvalidSubject(format!(
                "{what} must be non-empty printable text"
            )));
        }
    }
    if s.country.len() != 2
        || !s.country.bytes().all(|b| b.is_ascii_uppercase())
        || !der::is_printable(&s.country)
    {
        return Err(KeyError::InvalidSubject(
            "country must be an ISO 3166 code such as IT".into(),
        ));
    }
    let rdn = |oid: &[u64], value: Vec<u8>| der::set(&[&der::sequence(&[&der::oid(oid), &value])]);
    Ok(der::sequence(&[
        &rdn(AT_O, der::utf8_string(&s.organization)),
        &rdn(AT_CN, der::utf8_string(&s.common_name)),
        &rdn(AT_URI, der::utf8_string(&s.entity_id)),
        &rdn(AT_ORG_ID, der::utf8_string(&s.organization_identifier)),
        &rdn(AT_C, der::printable_string(&s.country)),
        &rdn(AT_L, der::utf8_string(&s.locality)),
    ]))
}

fn extension(oid: &[u64], critical: bool, value: &[u8]) -> Vec<u8> {
    if critical {
        der::sequence(&[
            &der::oid(oid),
            &der::boolean(true),
            &der::octet_string(value),
        ])
    } else {
        // DER: a FALSE default is omitted.
        der::sequence(&[&der::oid(oid), &der::octet_string(value)])
    }
}

fn policies() -> Vec<u8> {
    let infos: Vec<Vec<u8>> = SP_PUBLIC_POLICIES
        .iter()
        .map(|(oid, text)| {
            let notice = der::sequence(&[&der::utf8_string(text)]);
            let qualifier = der::sequence(&[&der::oid(QT_UNOTICE), &notice]);
            der::sequence(&[&der::oid(oid), &der::sequence(&[&qualifier])])
        })
        .collect();
    let parts: Vec<&[u8]> = infos.iter().map(Vec::as_slice).collect();
    der::sequence(&parts)
}

/// RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
fn encode_time(t: Timestamp) -> Result<Vec<u8>, KeyError> {
    let dt = t.to_zoned(TimeZone::UTC).datetime();
    let year = dt.year();
    if !(1950..=9999).contains(&year) {
        return Err(KeyError::Validity(format!("year {year} out of range")));
    }
    let rest = format!(
        "{:02}{:02}{:02}{:02}{:02}Z",
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    Ok(if year < 2050 {
        der::tlv(
            der::TAG_UTC_TIME,
            format!("{:02}{rest}", year % 100).as_bytes(),
        )
    } else {
        der::tlv(
            der::TAG_GENERALIZED_TIME,
            format!("{year:04}{rest}").as_bytes(),
        )
    })
}

fn read_time(t: der::Tlv<'_>) -> Result<Timestamp, KeyError> {
    let bad = || KeyError::InvalidCertificate("bad time in validity".into());
    let s = std::str::from_utf8(t.content).map_err(|_| bad())?;
    let digits = |range: std::ops::Range<usize>| -> Result<i16, KeyError> {
        let part = s.get(range).ok_or_else(bad)?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        part.parse::<i16>().map_err(|_| bad())
    };
    let (year, rest) = match (t.tag, s.len()) {
        (der::TAG_UTC_TIME, 13) => {
            let yy = digits(0..2)?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, 2)
        }
        (der::TAG_GENERALIZED_TIME, 15) => (digits(0..4)?, 4),
        _ => return Err(bad()),
    };
    if !s.ends_with('Z') {
        return Err(bad());
    }
    let field = |i: usize| -> Result<i8, KeyError> {
        i8::try_from(digits(rest + 2 * i..rest + 2 * i + 2)?).map_err(|_| bad())
    };
    let dt = jiff::civil::DateTime::new(
        year,
        field(0)?,
        field(1)?,
        field(2)?,
        field(3)?,
        field(4)?,
        0,
    )
    .map_err(|_| bad())?;
    dt.to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|_| bad())
}

/// Readable `Name`: RDNs in encoding order, `type=value` joined with ", ".
fn name_summary(name: der::Tlv<'_>) -> Result<String, KeyError> {
    let mut parts = Vec::new();
    let mut rdns = name.reader();
    while !rdns.is_empty() {
        let rdn = rdns.expect(der::TAG_SET, "RelativeDistinguishedName")?;
        let mut atvs = rdn.reader();
        while !atvs.is_empty() {
            let atv = atvs.expect(der::TAG_SEQUENCE, "AttributeTypeAndValue")?;
            let mut r = atv.reader();
            let oid = der::oid_to_string(r.expect(der::TAG_OID, "attribute type")?.content)?;
            let value = r.read()?;
            let label = match oid.as_str() {
                "2.5.4.3" => "CN",
                "2.5.4.5" => "serialNumber",
                "2.5.4.6" => "C",
                "2.5.4.7" => "L",
                "2.5.4.8" => "ST",
                "2.5.4.10" => "O",
                "2.5.4.11" => "OU",
                "2.5.4.83" => "uri",
                "2.5.4.97" => "organizationIdentifier",
                "1.2.840.113549.1.9.1" => "emailAddress",
                other => other,
            };
            parts.push(format!(
                "{label}={}",
                der::display_string(value.tag, value.content)
            ));
        }
    }
    Ok(parts.join(", "))
}

// ---------------------------------------------------------------------------------------------
// PEM and hex

/// The DER of the first `-----BEGIN {label}-----` block, if any.
fn pem_block(pem: &str, label: &str) -> Result<Option<Vec<u8>>, KeyError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let Some(start) = pem.find(&begin) else {
        return Ok(None);
    };
    let body_start = start + begin.len();
    let Some(len) = pem[body_start..].find(&end) else {
        return Err(KeyError::Pem("complete"));
    };
    let body: String = pem[body_start..body_start + len]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    B64.decode(body)
        .map(Some)
        .map_err(|e| KeyError::Base64(e.to_string()))
}

fn to_pem(label: &str, der_bytes: &[u8]) -> String {
    let b64 = B64.encode(der_bytes);
    let mut out = format!("-----BEGIN {label}-----\n");
    // base64 output is ASCII, so byte chunks are valid UTF-8.
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shareable_across_threads() {
        fn check<T: Send + Sync + Clone>() {}
        check::<SigningKey>();
        check::<PublicKey>();
        check::<Certificate>();
    }

    #[test]
    fn algorithm_uris() {
        assert_eq!(
            SignatureAlgorithm::RsaSha256.uri(),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
        );
        assert_eq!(
            SignatureAlgorithm::RsaSha512.digest(),
            DigestAlgorithm::Sha512
        );
        assert_eq!(
            DigestAlgorithm::from_uri("http://www.w3.org/2001/04/xmldsig-more#sha384"),
            Some(DigestAlgorithm::Sha384)
        );
        assert_eq!(
            DigestAlgorithm::from_uri("http://www.w3.org/2000/09/xmldsig#sha1"),
            None
        );
    }

    #[test]
    fn times_switch_to_generalized_time_in_2050() {
        let t: Timestamp = "2049-12-31T23:59:59Z".parse().unwrap();
        assert_eq!(
            encode_time(t).unwrap(),
            der::tlv(der::TAG_UTC_TIME, b"491231235959Z")
        );
        let t: Timestamp = "2050-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(
            encode_time(t).unwrap(),
            der::tlv(der::TAG_GENERALIZED_TIME, b"20500101000000Z")
        );
        for s in [
            "1999-05-06T07:08:09Z",
            "2049-12-31T23:59:59Z",
            "2050-01-01T00:00:00Z",
        ] {
            let t: Timestamp = s.parse().unwrap();
            let enc = encode_time(t).unwrap();
            let tlv = der::parse_single(&enc, enc[0], "time").unwrap();
            assert_eq!(read_time(tlv).unwrap(), t);
        }
        let bad = der::tlv(der::TAG_UTC_TIME, b"491331235959Z");
        assert!(read_time(der::parse_single(&bad, der::TAG_UTC_TIME, "t").unwrap()).is_err());
    }

    #[test]
    fn pem_blocks() {
        let pem = to_pem("CERTIFICATE", &[1, 2, 3]);
        assert_eq!(
            pem,
            "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n"
        );
        assert_eq!(
            pem_block(&format!("junk\n{pem}"), "CERTIFICATE").unwrap(),
            Some(vec![1, 2, 3])
        );
        assert_eq!(pem_block(&pem, "PRIVATE KEY").unwrap(), None);
        assert!(pem_block("-----BEGIN CERTIFICATE-----\nAQID", "CERTIFICATE").is_err());
    }
}
