//! Hardened XML parsing and the namespaces SPID uses.
//!
//! [`parse`] refuses any DTD (hence every entity but the five predefined ones), input over
//! [`Limits::max_bytes`], more than [`Limits::max_nodes`] nodes and nesting deeper than
//! [`Limits::max_depth`]. The helpers below are the only way the rest of the crate should read
//! the tree: they compare expanded names (namespace URI + local name, never prefixes) and read
//! text as the XPath string-value, so that a comment inside a value cannot truncate it.

use roxmltree::{Document, Node, NodeType, ParsingOptions};

pub mod ns {
    pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
    pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
    pub const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
    pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
    pub const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
    pub const SPID: &str = "https://spid.gov.it/saml-extensions";
    pub const CIE: &str = "https://www.cartaidentita.interno.gov.it/saml-extensions";
    pub const XML: &str = "http://www.w3.org/XML/1998/namespace";
    /// Exclusive canonicalisation, also the namespace of its `InclusiveNamespaces` element.
    pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
}

/// Bounds applied before and during parsing.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_depth: usize,
    pub max_nodes: u32,
}

impl Limits {
    /// For IdP responses and requests: a real SPID response is under 20 KB.
    pub const MESSAGE: Limits = Limits {
        max_bytes: 200 * 1024,
        max_depth: 32,
        max_nodes: 4_000,
    };
    /// For metadata files, including AgID's registry of every IdP.
    pub const METADATA: Limits = Limits {
        max_bytes: 16 * 1024 * 1024,
        max_depth: 64,
        max_nodes: 2_000_000,
    };
}

#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    #[error("the document is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the document nests deeper than {0} levels")]
    TooDeep(usize),
    #[error("the document has more than {0} nodes")]
    TooManyNodes(u32),
    #[error("the document declares a DTD, which is not allowed")]
    Dtd,
    #[error("the document is not well-formed XML: {0}")]
    Syntax(String),
    /// Well-formed, but not the shape we require (missing, repeated or unexpected element…).
    #[error("unexpected XML structure: {0}")]
    Structure(String),
}

/// Parse `text` with the given limits.
///
/// Depth counts elements: the document element is at depth 1.
pub fn parse<'a>(text: &'a str, limits: &Limits) -> Result<Document<'a>, XmlError> {
    // Checked before parsing so that an oversized body costs nothing.
    if text.len() > limits.max_bytes {
        return Err(XmlError::TooLarge(limits.max_bytes));
    }
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: limits.max_nodes,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => XmlError::Dtd,
        roxmltree::Error::NodesLimitReached => XmlError::TooManyNodes(limits.max_nodes),
        other => XmlError::Syntax(other.to_string()),
    })?;
    // roxmltree builds the tree without recursion, so a deep document cannot overflow the stack
    // while parsing; the depth is checked here, iteratively, before anyone walks the tree.
    let mut depth = 0usize;
    for edge in traverse(doc.root()) {
        match edge {
            Edge::Open(n) if n.is_element() => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(XmlError::TooDeep(limits.max_depth));
                }
            }
            Edge::Close(n) if n.is_element() => depth -= 1,
            _ => {}
        }
    }
    Ok(doc)
}

/// A step of a depth-first walk: entering or leaving a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge<'a, 'i> {
    Open(Node<'a, 'i>),
    Close(Node<'a, 'i>),
}

/// Depth-first walk of the subtree rooted at `node`, without recursion (no stack overflow
/// whatever the depth). Every node is opened then closed, children in document order.
pub fn traverse<'a, 'i>(node: Node<'a, 'i>) -> Traverse<'a, 'i> {
    Traverse {
        root: node,
        next: Some(Edge::Open(node)),
        last: None,
    }
}

/// Iterator returned by [`traverse`].
#[derive(Debug, Clone)]
pub struct Traverse<'a, 'i> {
    root: Node<'a, 'i>,
    next: Option<Edge<'a, 'i>>,
    last: Option<Edge<'a, 'i>>,
}

impl Traverse<'_, '_> {
    /// Right after `Open(n)` was returned, go straight to `Close(n)`, skipping `n`'s children.
    pub fn skip_subtree(&mut self) {
        if let Some(Edge::Open(n)) = self.last {
            self.next = Some(Edge::Close(n));
        }
    }
}

impl<'a, 'i> Iterator for Traverse<'a, 'i> {
    type Item = Edge<'a, 'i>;

    fn next(&mut self) -> Option<Self::Item> {
        let current = self.next?;
        self.last = Some(current);
        self.next = match current {
            Edge::Open(n) => Some(match n.first_child() {
                Some(c) => Edge::Open(c),
                None => Edge::Close(n),
            }),
            Edge::Close(n) if n == self.root => None,
            Edge::Close(n) => match (n.next_sibling(), n.parent()) {
                (Some(s), _) => Some(Edge::Open(s)),
                (None, Some(p)) => Some(Edge::Close(p)),
                (None, None) => None,
            },
        };
        Some(current)
    }
}

/// Whether `node` is an element with this namespace URI and local name.
pub fn is(node: Node<'_, '_>, ns: &str, local: &str) -> bool {
    node.is_element() && node.tag_name().name() == local && node.tag_name().namespace() == Some(ns)
}

/// The element children of `node` named `{ns}local`, in document order.
pub fn children<'a, 'i>(
    node: Node<'a, 'i>,
    ns: &'a str,
    local: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| is(*c, ns, local))
}

/// The element children of `node`, whatever their name (text, comments and PIs skipped).
pub fn element_children<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(Node::is_element)
}

/// The one child element `{ns}local` of `node`: an error if it is missing or repeated.
pub fn only_child<'a, 'i>(
    node: Node<'a, 'i>,
    ns: &str,
    local: &str,
) -> Result<Node<'a, 'i>, XmlError> {
    match optional_child(node, ns, local)? {
        Some(c) => Ok(c),
        None => Err(XmlError::Structure(format!(
            "{} has no {local}",
            node.tag_name().name()
        ))),
    }
}

/// The child element `{ns}local` of `node` if present: an error if it is repeated.
pub fn optional_child<'a, 'i>(
    node: Node<'a, 'i>,
    ns: &str,
    local: &str,
) -> Result<Option<Node<'a, 'i>>, XmlError> {
    let mut found = node.children().filter(|c| is(*c, ns, local));
    let first = found.next();
    if found.next().is_some() {
        return Err(XmlError::Structure(format!(
            "{} has more than one {local}",
            node.tag_name().name()
        )));
    }
    Ok(first)
}

/// The XPath string-value of `node`: every descendant text node (CDATA included), concatenated.
///
/// Reading only the first text node is the CVE-2017-11427 class of bug: a comment inserted in a
/// signed value (`TINIT-RS<!---->SSMRA…`) does not break the signature, since canonicalisation
/// drops comments, but it would truncate the value.
pub fn string_value(node: Node<'_, '_>) -> String {
    if node.is_text() {
        return node.text().unwrap_or_default().to_owned();
    }
    if !node.is_element() && node.node_type() != NodeType::Root {
        // Comments and PIs: their own content, as in XPath.
        return node.text().unwrap_or_default().to_owned();
    }
    let mut out = String::new();
    for d in node.descendants() {
        if d.is_text()
            && let Some(t) = d.text()
        {
            out.push_str(t);
        }
    }
    out
}

/// The value of the un-namespaced attribute `name` of `node`, if present.
pub fn attr<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attribute(name)
}

/// The full string value (comments never truncate it), without the surrounding XML whitespace
/// that pretty-printing IdPs put around values.
pub fn trimmed_string_value(node: Node<'_, '_>) -> String {
    let value = string_value(node);
    let trimmed = value.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
    if trimmed.len() == value.len() {
        value
    } else {
        trimmed.to_owned()
    }
}

/// A strict SAML instant: `YYYY-MM-DDThh:mm:ss(.f{1,9})?Z` only (UTC, no offset, no date-only
/// or space-separated forms: AgID's suite sends `2018-09-04`, `2018-09-06 16:00`, `2018.09.18`,
/// `2018/09/10` and `10-09-2018` to probe lax parsers, and 6-digit fractions to be accepted).
pub fn parse_instant(value: &str) -> Option<jiff::Timestamp> {
    const SHAPE: &[u8; 19] = b"dddd-dd-ddTdd:dd:dd";
    let bytes = value.as_bytes();
    let (head, tail) = bytes.split_at_checked(SHAPE.len())?;
    let head_ok = head.iter().zip(SHAPE).all(|(b, s)| {
        if *s == b'd' {
            b.is_ascii_digit()
        } else {
            b == s
        }
    });
    let tail_ok = match tail {
        [b'Z'] => true,
        [b'.', fraction @ .., b'Z'] => {
            (1..=9).contains(&fraction.len()) && fraction.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    };
    if !(head_ok && tail_ok) {
        return None;
    }
    value.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limits = Limits {
        max_bytes: 1000,
        max_depth: 3,
        max_nodes: 20,
    };

    #[test]
    fn refuses_dtd_even_empty_internal_subset_with_entities() {
        let xml = "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>";
        assert!(matches!(parse(xml, &Limits::MESSAGE), Err(XmlError::Dtd)));
        let xml = "<!DOCTYPE a SYSTEM 'file:///etc/passwd'><a/>";
        assert!(matches!(parse(xml, &Limits::MESSAGE), Err(XmlError::Dtd)));
    }

    #[test]
    fn refuses_billion_laughs() {
        let xml = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>"#;
        assert!(matches!(parse(xml, &Limits::MESSAGE), Err(XmlError::Dtd)));
    }

    #[test]
    fn refuses_unknown_entities_without_dtd() {
        assert!(matches!(
            parse("<a>&foo;</a>", &Limits::MESSAGE),
            Err(XmlError::Syntax(_))
        ));
    }

    #[test]
    fn limits() {
        let big = format!("<a>{}</a>", "x".repeat(1000));
        assert!(matches!(parse(&big, &SMALL), Err(XmlError::TooLarge(1000))));
        assert!(parse("<a><b><c/></b></a>", &SMALL).is_ok());
        assert!(matches!(
            parse("<a><b><c><d/></c></b></a>", &SMALL),
            Err(XmlError::TooDeep(3))
        ));
        let many = format!("<a>{}</a>", "<b/>".repeat(30));
        assert!(matches!(
            parse(&many, &SMALL),
            Err(XmlError::TooManyNodes(20))
        ));
    }

    #[test]
    fn deep_nesting_is_rejected_without_overflowing() {
        let n = 100_000;
        let xml = format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
        let limits = Limits {
            max_bytes: 10_000_000,
            max_depth: 64,
            max_nodes: 1_000_000,
        };
        assert!(matches!(parse(&xml, &limits), Err(XmlError::TooDeep(64))));
    }

    #[test]
    fn string_value_concatenates_across_comments_and_cdata() {
        let xml = "<a xmlns='urn:x'><v>TINIT-RS<!-- x -->SMRA<![CDATA[<1>]]><i>z</i></v></a>";
        let doc = parse(xml, &Limits::MESSAGE).unwrap();
        let v = only_child(doc.root_element(), "urn:x", "v").unwrap();
        assert_eq!(v.text(), Some("TINIT-RS"));
        assert_eq!(string_value(v), "TINIT-RSSMRA<1>z");
    }

    #[test]
    fn name_helpers_use_expanded_names() {
        let xml = "<p:a xmlns:p='urn:x' xmlns:q='urn:x'><q:b/><p:b/><c/><!-- c --></p:a>";
        let doc = parse(xml, &Limits::MESSAGE).unwrap();
        let root = doc.root_element();
        assert!(is(root, "urn:x", "a"));
        assert!(!is(root, "urn:y", "a"));
        assert_eq!(children(root, "urn:x", "b").count(), 2);
        assert!(matches!(
            only_child(root, "urn:x", "b"),
            Err(XmlError::Structure(_))
        ));
        assert!(matches!(
            only_child(root, "urn:x", "z"),
            Err(XmlError::Structure(_))
        ));
        assert!(only_child(root, "", "c").is_err(), "c has no namespace");
        assert_eq!(element_children(root).count(), 3);
    }
}
