//! Enveloped XML signatures (XML-DSig), the SPID subset only.
//!
//! [`verify_enveloped`] checks, in this order, and fails at the first problem:
//! 1. the signed element has a non-empty `ID`, and no other `ID`/`Id`/`id`/`xml:id` attribute in
//!    the document has the same value;
//! 2. it has exactly one `ds:Signature` child referencing it, and no other `ds:Signature` in the
//!    document references it;
//! 3. the Signature is `SignedInfo`, `SignatureValue`, optional `KeyInfo` (never read: the key
//!    comes from the caller only), nothing else (no `ds:Object`);
//! 4. `SignedInfo` uses exclusive c14n (without comments), rsa-sha256/384/512, and exactly one
//!    `Reference` with `URI="#ID"`, transforms exactly enveloped-signature then exclusive c14n,
//!    and a sha256/384/512 digest;
//! 5. the digest of the canonical element (without its signature) matches;
//! 6. the canonical `SignedInfo` verifies with one of the trusted keys.
//!
//! The result holds the exact canonical octets that were digested: callers read values from
//! [`Verified::document`], never from the original tree, so nothing outside the signature
//! (wrapped or injected elements) can be read by mistake.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use roxmltree::Node;

use crate::c14n;
use crate::keys::{
    Certificate, DigestAlgorithm, KeyError, PublicKey, SignatureAlgorithm, SigningKey,
};
use crate::xml::{self, Limits, XmlError, ns};

pub const ENVELOPED_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

#[derive(Debug, thiserror::Error)]
pub enum DsigError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("the signed element has no ID")]
    MissingId,
    #[error("the ID {0:?} is not unique in the document")]
    DuplicateId(String),
    #[error("no element has ID {0:?}")]
    ElementNotFound(String),
    #[error("the element is not signed")]
    SignatureMissing,
    #[error("the signature is not a direct child of the element it signs")]
    SignatureNotDirectChild,
    #[error("more than one signature for the element")]
    MultipleSignatures,
    #[error("unsupported algorithm {0}")]
    UnsupportedAlgorithm(String),
    #[error("bad signature reference: {0}")]
    BadReference(String),
    #[error("the digest does not match: the signed content was changed")]
    DigestMismatch,
    #[error("the signature does not verify with any trusted key")]
    BadSignature,
    #[error("no trusted key to verify with")]
    NoTrustedKeys,
    #[error("malformed signature: {0}")]
    Malformed(String),
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// A verified element: its canonical form (what the digest covers) and how it was signed.
#[derive(Debug, Clone)]
pub struct Verified {
    canonical: String,
    algorithm: SignatureAlgorithm,
    digest: DigestAlgorithm,
    key_index: usize,
}

impl Verified {
    /// The canonical octets of the signed element, its own signature left out.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    pub fn digest_algorithm(&self) -> DigestAlgorithm {
        self.digest
    }

    /// Index, in the `keys` given to [`verify_enveloped`], of the key that verified.
    pub fn key_index(&self) -> usize {
        self.key_index
    }

    /// Re-parse the canonical octets with [`Limits::MESSAGE`]: the root element is the signed one.
    pub fn document(&self) -> Result<roxmltree::Document<'_>, DsigError> {
        self.document_with_limits(&Limits::MESSAGE)
    }

    /// As [`Verified::document`], with other limits (e.g. [`Limits::METADATA`]).
    pub fn document_with_limits(
        &self,
        limits: &Limits,
    ) -> Result<roxmltree::Document<'_>, DsigError> {
        Ok(xml::parse(&self.canonical, limits)?)
    }
}

/// Attributes that may act as an XML ID for some processor. Only `ID` is ours, but a value
/// repeated in any of them is refused: a second element that another tool could resolve as
/// the reference target is the start of a wrapping attack.
fn is_id_attribute(a: &roxmltree::Attribute<'_, '_>) -> bool {
    match a.namespace() {
        None => matches!(a.name(), "ID" | "Id" | "id"),
        Some(uri) => uri == ns::XML && a.name() == "id",
    }
}

fn check_unique_id(doc: &roxmltree::Document<'_>, id: &str) -> Result<(), DsigError> {
    let count = doc
        .descendants()
        .filter(Node::is_element)
        .flat_map(|n| n.attributes())
        .filter(|a| is_id_attribute(a) && a.value() == id)
        .count();
    if count > 1 {
        Err(DsigError::DuplicateId(id.to_owned()))
    } else {
        Ok(())
    }
}

fn reference_uri<'a>(signature: Node<'a, '_>) -> Option<&'a str> {
    let signed_info = xml::children(signature, ns::DS, "SignedInfo").next()?;
    let reference = xml::children(signed_info, ns::DS, "Reference").next()?;
    reference.attribute("URI")
}

/// Element children of `node`, refusing non-whitespace text (comments and PIs are let through:
/// canonicalisation drops the former and the signature covers the latter).
fn strict_element_children<'a, 'i>(node: Node<'a, 'i>) -> Result<Vec<Node<'a, 'i>>, DsigError> {
    let mut out = Vec::new();
    for c in node.children() {
        if c.is_element() {
            out.push(c);
        } else if c.is_text()
            && !c
                .text()
                .unwrap_or_default()
                .trim_matches(|ch: char| ch.is_ascii_whitespace())
                .is_empty()
        {
            return Err(DsigError::Malformed(format!(
                "text inside {}",
                node.tag_name().name()
            )));
        }
    }
    Ok(out)
}

fn expect_ds<'a, 'i>(node: Option<&Node<'a, 'i>>, local: &str) -> Result<Node<'a, 'i>, DsigError> {
    match node {
        Some(n) if xml::is(*n, ns::DS, local) => Ok(*n),
        Some(n) => Err(DsigError::Malformed(format!(
            "expected ds:{local}, found {}",
            n.tag_name().name()
        ))),
        None => Err(DsigError::Malformed(format!("missing ds:{local}"))),
    }
}

fn no_children(node: Node<'_, '_>) -> Result<(), DsigError> {
    if strict_element_children(node)?.is_empty() {
        Ok(())
    } else {
        Err(DsigError::Malformed(format!(
            "unexpected content in {}",
            node.tag_name().name()
        )))
    }
}

/// The PrefixList of an optional `ec:InclusiveNamespaces` child of a c14n method element.
fn inclusive_prefixes<'a>(method: Node<'a, '_>) -> Result<Vec<&'a str>, DsigError> {
    let children = strict_element_children(method)?;
    match children.as_slice() {
        [] => Ok(Vec::new()),
        [inc] if xml::is(*inc, ns::EXC_C14N, "InclusiveNamespaces") => {
            no_children(*inc)?;
            let list = inc.attribute("PrefixList").unwrap_or_default();
            Ok(list
                .split([' ', '\t', '\n', '\r'])
                .filter(|p| !p.is_empty())
                .collect())
        }
        _ => Err(DsigError::Malformed(
            "unexpected content in a c14n method".into(),
        )),
    }
}

fn algorithm_of<'a>(node: Node<'a, '_>) -> Result<&'a str, DsigError> {
    node.attribute("Algorithm").ok_or_else(|| {
        DsigError::Malformed(format!("{} without Algorithm", node.tag_name().name()))
    })
}

/// Base64 content of a leaf element (`DigestValue`, `SignatureValue`), whitespace ignored.
fn decode_base64(node: Node<'_, '_>) -> Result<Vec<u8>, DsigError> {
    if node.children().any(|c| c.is_element()) {
        return Err(DsigError::Malformed(format!(
            "unexpected content in {}",
            node.tag_name().name()
        )));
    }
    let text: String = xml::string_value(node)
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    B64.decode(text)
        .map_err(|e| DsigError::Malformed(format!("{}: {e}", node.tag_name().name())))
}

/// Verify the enveloped signature of `signed` with one of `keys` (see the module docs).
pub fn verify_enveloped<'a, 'i>(
    signed: Node<'a, 'i>,
    keys: &[PublicKey],
) -> Result<Verified, DsigError> {
    verify(signed, keys, false)
}

/// Like [`verify_enveloped`], for a signed document such as AgID's registry of identity
/// providers, which references the whole document with `URI=""` (XML-DSig's "the document
/// containing the signature") instead of an ID. Accepted only when `signed` is the document
/// element, so the reference cannot be moved onto a part of a message.
pub fn verify_enveloped_document<'a, 'i>(
    signed: Node<'a, 'i>,
    keys: &[PublicKey],
) -> Result<Verified, DsigError> {
    if signed.document().root_element() != signed {
        return Err(DsigError::Malformed(
            "a whole-document signature must sign the document element".into(),
        ));
    }
    verify(signed, keys, true)
}

fn verify<'a, 'i>(
    signed: Node<'a, 'i>,
    keys: &[PublicKey],
    whole_document: bool,
) -> Result<Verified, DsigError> {
    // 1. The ID.
    if !signed.is_element() {
        return Err(DsigError::Malformed("not an element".into()));
    }
    let doc = signed.document();
    let id = signed.attribute("ID").filter(|id| !id.is_empty());
    if let Some(id) = id {
        check_unique_id(doc, id)?;
    } else if !whole_document {
        return Err(DsigError::MissingId);
    }
    // The references that designate `signed`: its ID, and for a whole document also "".
    let accepted: Vec<String> = id
        .map(|id| format!("#{id}"))
        .into_iter()
        .chain(whole_document.then(String::new))
        .collect();
    let designates = |uri: Option<&str>| uri.is_some_and(|u| accepted.iter().any(|a| a == u));
    let expected_uri = accepted.first().cloned().unwrap_or_default();

    // 2. Where the signature is.
    let direct: Vec<Node<'a, 'i>> = xml::children(signed, ns::DS, "Signature").collect();
    let signature = match direct.as_slice() {
        [one] => *one,
        [] => {
            let elsewhere = doc
                .descendants()
                .any(|n| xml::is(n, ns::DS, "Signature") && designates(reference_uri(n)));
            return Err(if elsewhere {
                DsigError::SignatureNotDirectChild
            } else {
                DsigError::SignatureMissing
            });
        }
        _ => return Err(DsigError::MultipleSignatures),
    };
    let others = doc
        .descendants()
        .any(|n| n != signature && xml::is(n, ns::DS, "Signature") && designates(reference_uri(n)));
    if others {
        return Err(DsigError::MultipleSignatures);
    }

    // 3. Signature's shape.
    let parts = strict_element_children(signature)?;
    let signed_info = expect_ds(parts.first(), "SignedInfo")?;
    let signature_value = expect_ds(parts.get(1), "SignatureValue")?;
    match parts.get(2) {
        None => {}
        Some(k) if xml::is(*k, ns::DS, "KeyInfo") => {}
        Some(o) if xml::is(*o, ns::DS, "Object") => {
            return Err(DsigError::Malformed("ds:Object is not allowed".into()));
        }
        Some(o) => {
            return Err(DsigError::Malformed(format!(
                "unexpected {} in Signature",
                o.tag_name().name()
            )));
        }
    }
    if let Some(extra) = parts.get(3) {
        return Err(DsigError::Malformed(format!(
            "unexpected {} in Signature",
            extra.tag_name().name()
        )));
    }

    // 4. SignedInfo: methods and the reference.
    let si = strict_element_children(signed_info)?;
    let c14n_method = expect_ds(si.first(), "CanonicalizationMethod")?;
    let sig_method = expect_ds(si.get(1), "SignatureMethod")?;
    let references = &si[2.min(si.len())..];
    if let Some(bad) = references
        .iter()
        .find(|n| !xml::is(**n, ns::DS, "Reference"))
    {
        return Err(DsigError::Malformed(format!(
            "unexpected {} in SignedInfo",
            bad.tag_name().name()
        )));
    }
    let reference = match references {
        [one] => *one,
        [] => return Err(DsigError::BadReference("no Reference".into())),
        _ => return Err(DsigError::BadReference("more than one Reference".into())),
    };

    let c14n_alg = algorithm_of(c14n_method)?;
    if c14n_alg != EXC_C14N {
        return Err(DsigError::UnsupportedAlgorithm(c14n_alg.to_owned()));
    }
    let signed_info_prefixes = inclusive_prefixes(c14n_method)?;
    let sig_alg_uri = algorithm_of(sig_method)?;
    let algorithm = SignatureAlgorithm::from_uri(sig_alg_uri)
        .ok_or_else(|| DsigError::UnsupportedAlgorithm(sig_alg_uri.to_owned()))?;
    no_children(sig_method)?;

    match reference.attribute("URI") {
        Some(uri) if designates(Some(uri)) => {}
        Some(uri) => {
            return Err(DsigError::BadReference(format!(
                "URI {uri:?} is not {expected_uri:?}"
            )));
        }
        None => return Err(DsigError::BadReference("no URI".into())),
    }
    let rparts = strict_element_children(reference)?;
    let transforms = expect_ds(rparts.first(), "Transforms")?;
    let digest_method = expect_ds(rparts.get(1), "DigestMethod")?;
    let digest_value = expect_ds(rparts.get(2), "DigestValue")?;
    if let Some(extra) = rparts.get(3) {
        return Err(DsigError::Malformed(format!(
            "unexpected {} in Reference",
            extra.tag_name().name()
        )));
    }

    // Exactly enveloped-signature then exclusive c14n: without the first the digest would cover
    // the signature itself; without the second it would be inclusive c14n, which we do not do.
    let tlist = strict_element_children(transforms)?;
    let (enveloped, exc) = match tlist.as_slice() {
        [a, b] if xml::is(*a, ns::DS, "Transform") && xml::is(*b, ns::DS, "Transform") => (*a, *b),
        _ => {
            let algs: Vec<&str> = tlist
                .iter()
                .filter_map(|t| t.attribute("Algorithm"))
                .collect();
            return Err(DsigError::UnsupportedAlgorithm(format!(
                "transforms {algs:?} (need enveloped-signature, exc-c14n)"
            )));
        }
    };
    let (a1, a2) = (algorithm_of(enveloped)?, algorithm_of(exc)?);
    if a1 != ENVELOPED_SIGNATURE || a2 != EXC_C14N {
        return Err(DsigError::UnsupportedAlgorithm(format!(
            "transforms [{a1}, {a2}] (need enveloped-signature, exc-c14n)"
        )));
    }
    no_children(enveloped)?;
    let reference_prefixes = inclusive_prefixes(exc)?;

    let digest_uri = algorithm_of(digest_method)?;
    let digest_alg = DigestAlgorithm::from_uri(digest_uri)
        .ok_or_else(|| DsigError::UnsupportedAlgorithm(digest_uri.to_owned()))?;
    no_children(digest_method)?;
    let expected_digest = decode_base64(digest_value)?;
    if expected_digest.len() != digest_alg.output_len() {
        return Err(DsigError::Malformed(
            "DigestValue has the wrong length".into(),
        ));
    }
    let signature_bytes = decode_base64(signature_value)?;

    if keys.is_empty() {
        return Err(DsigError::NoTrustedKeys);
    }

    // 5. Digest.
    let canonical = c14n::exclusive(signed, Some(signature), &reference_prefixes);
    let actual = digest_alg.digest(canonical.as_bytes());
    // Not secret, but constant time costs nothing.
    let diff = actual
        .iter()
        .zip(&expected_digest)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if diff != 0 {
        return Err(DsigError::DigestMismatch);
    }

    // 6. Signature.
    let signed_info_c14n = c14n::exclusive(signed_info, None, &signed_info_prefixes);
    let key_index = keys
        .iter()
        .position(|k| {
            k.verify(algorithm, signed_info_c14n.as_bytes(), &signature_bytes)
                .is_ok()
        })
        .ok_or(DsigError::BadSignature)?;

    Ok(Verified {
        canonical,
        algorithm,
        digest: digest_alg,
        key_index,
    })
}

/// Sign the element of `xml` whose `ID` is `id` with an enveloped RSA-SHA256 signature (exc-c14n,
/// SHA-256 digest, `cert` in KeyInfo) and return the new document text. The signature goes right
/// after the element's first child if that is `saml:Issuer` (SAML messages), as first child
/// otherwise (metadata). Nothing else in the text changes, so signing an inner element (an
/// Assertion) then an outer one (the Response) gives a document where both verify.
pub fn sign_enveloped(
    xml_text: &str,
    id: &str,
    key: &SigningKey,
    cert: &Certificate,
) -> Result<String, DsigError> {
    if cert.public_key() != &key.public_key() {
        return Err(DsigError::Key(KeyError::InvalidCertificate(
            "the certificate is not for this key".into(),
        )));
    }
    let doc = xml::parse(xml_text, &Limits::METADATA)?;
    let mut matches = doc
        .descendants()
        .filter(|n| n.is_element() && n.attribute("ID") == Some(id));
    let element = matches
        .next()
        .ok_or_else(|| DsigError::ElementNotFound(id.to_owned()))?;
    if id.is_empty() {
        return Err(DsigError::MissingId);
    }
    if matches.next().is_some() {
        return Err(DsigError::DuplicateId(id.to_owned()));
    }
    check_unique_id(&doc, id)?;
    if xml::children(element, ns::DS, "Signature").next().is_some() {
        return Err(DsigError::MultipleSignatures);
    }

    let digest = DigestAlgorithm::Sha256.digest(c14n::exclusive(element, None, &[]).as_bytes());
    let mut uri = String::from("#");
    crate::c14n::escape_attr(id, &mut uri);
    // Written directly in canonical form, so what we sign is also what the document contains.
    let signed_info_body = format!(
        concat!(
            r#"<ds:CanonicalizationMethod Algorithm="{c14n}"></ds:CanonicalizationMethod>"#,
            r#"<ds:SignatureMethod Algorithm="{sig}"></ds:SignatureMethod>"#,
            r#"<ds:Reference URI="{uri}"><ds:Transforms>"#,
            r#"<ds:Transform Algorithm="{env}"></ds:Transform>"#,
            r#"<ds:Transform Algorithm="{c14n}"></ds:Transform>"#,
            r#"</ds:Transforms><ds:DigestMethod Algorithm="{dig}"></ds:DigestMethod>"#,
            r#"<ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>"#,
        ),
        c14n = EXC_C14N,
        sig = SignatureAlgorithm::RsaSha256.uri(),
        uri = uri,
        env = ENVELOPED_SIGNATURE,
        dig = DigestAlgorithm::Sha256.uri(),
        digest = B64.encode(digest),
    );
    // Canonicalise SignedInfo by parsing it alone: exclusive c14n depends only on the namespaces
    // an element visibly uses, all `ds:` here, so the result is the same once it sits in place
    // (where `ds` is declared by the Signature element instead).
    let standalone = format!(r#"<ds:SignedInfo xmlns:ds="{}">{signed_info_body}"#, ns::DS);
    let si_doc = xml::parse(&standalone, &Limits::MESSAGE)?;
    let si_c14n = c14n::exclusive(si_doc.root_element(), None, &[]);
    let signature_value = key.sign(SignatureAlgorithm::RsaSha256, si_c14n.as_bytes())?;
    let signature = format!(
        r#"<ds:Signature xmlns:ds="{ds}"><ds:SignedInfo>{si}<ds:SignatureValue>{sv}</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>"#,
        ds = ns::DS,
        si = signed_info_body,
        sv = B64.encode(signature_value),
        cert = cert.to_base64(),
    );

    let out = splice(xml_text, element, &signature)?;

    // Self-check: the result must verify; a failure here is a bug in this module.
    let check = xml::parse(&out, &Limits::METADATA)?;
    let signed = check
        .descendants()
        .find(|n| n.is_element() && n.attribute("ID") == Some(id))
        .ok_or_else(|| DsigError::ElementNotFound(id.to_owned()))?;
    verify_enveloped(signed, &[key.public_key()])?;
    Ok(out)
}

/// Insert `signature` into `element` (after a leading saml:Issuer, else as first child).
fn splice(text: &str, element: Node<'_, '_>, signature: &str) -> Result<String, DsigError> {
    let range = element.range();
    let first_element = element.children().find(Node::is_element);
    let (at, replace_end, suffix) =
        if let Some(issuer) = first_element.filter(|c| xml::is(*c, ns::SAML, "Issuer")) {
            (issuer.range().end, None, String::new())
        } else if let Some(first) = element.first_child() {
            (first.range().start, None, String::new())
        } else {
            let source = text
                .get(range.clone())
                .ok_or_else(|| DsigError::Malformed("bad element range".into()))?;
            if source.ends_with("/>") {
                // `<e …/>` becomes `<e …>SIGNATURE</e>`.
                let qname_end = source[1..]
                    .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
                    .map_or(source.len(), |i| i + 1);
                let qname = &source[1..qname_end];
                (range.end - 2, Some(range.end), format!("</{qname}>"))
            } else {
                // `<e …></e>`: insert before the end tag.
                let close = source
                    .rfind("</")
                    .ok_or_else(|| DsigError::Malformed("no end tag".into()))?;
                (range.start + close, None, String::new())
            }
        };
    let mut out = String::with_capacity(text.len() + signature.len() + suffix.len() + 1);
    out.push_str(&text[..at]);
    if replace_end.is_some() {
        out.push('>');
    }
    out.push_str(signature);
    out.push_str(&suffix);
    out.push_str(&text[replace_end.unwrap_or(at)..]);
    Ok(out)
}
