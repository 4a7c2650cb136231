//! Documents a citizen uploads with a request, and how an upload is recognised by its content
//! rather than by the name or the type the browser claims.

use crate::Slug;
use crate::form::{Condition, FieldId, Requirement};
use crate::text::LocalizedText;
use serde::{Deserialize, Serialize};

const MIB: u32 = 1024 * 1024;

/// A file type Sportello accepts: documents as PDF, photographs and scans as JPEG or PNG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttachmentType {
    Pdf,
    Jpeg,
    Png,
}

impl AttachmentType {
    pub const ALL: [AttachmentType; 3] = [
        AttachmentType::Pdf,
        AttachmentType::Jpeg,
        AttachmentType::Png,
    ];

    /// Recognises a file by its first bytes (its "magic number"): `%PDF-` for PDF, `FF D8 FF`
    /// for JPEG, the 8-byte signature for PNG. Anything else is refused, whatever its name.
    pub fn sniff(bytes: &[u8]) -> Option<AttachmentType> {
        if bytes.starts_with(b"%PDF-") {
            Some(AttachmentType::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(AttachmentType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(AttachmentType::Png)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            AttachmentType::Pdf => "application/pdf",
            AttachmentType::Jpeg => "image/jpeg",
            AttachmentType::Png => "image/png",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            AttachmentType::Pdf => "pdf",
            AttachmentType::Jpeg => "jpg",
            AttachmentType::Png => "png",
        }
    }

    /// The name citizens know the format by.
    pub fn label(self) -> &'static str {
        match self {
            AttachmentType::Pdf => "PDF",
            AttachmentType::Jpeg => "JPEG",
            AttachmentType::Png => "PNG",
        }
    }
}

fn default_accepted() -> Vec<AttachmentType> {
    AttachmentType::ALL.to_vec()
}

fn default_max_bytes() -> u32 {
    AttachmentSpec::DEFAULT_MAX_BYTES
}

fn default_max_files() -> u8 {
    1
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_one(value: &u8) -> bool {
    *value == 1
}

/// A document the request asks for (`[[services.procedure.attachments]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentSpec {
    pub id: FieldId,
    pub label: LocalizedText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<LocalizedText>,
    /// Whether the document must be attached when it is asked for.
    #[serde(default)]
    pub required: Requirement,
    /// The document is asked for only when this holds (a lease contract only for leased
    /// vehicles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    /// The step of the form that asks for it; when absent, a last step of attachments does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<Slug>,
    /// Special-category data (GDPR art. 9, e.g. a medical certificate): stored encrypted,
    /// shown only to the office that decides, deleted `retention_days` after the decision.
    #[serde(default, skip_serializing_if = "is_false")]
    pub sensitive: bool,
    /// Days the file is kept after the final decision; required for sensitive documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// Size limit of each file: 10 MiB unless said otherwise, never above 20 MiB.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u32,
    /// The file types accepted: all of PDF, JPEG and PNG unless restricted.
    #[serde(default = "default_accepted")]
    pub accepted: Vec<AttachmentType>,
    /// How many files may be attached (photographs of a site); 1 unless said otherwise.
    #[serde(default = "default_max_files", skip_serializing_if = "is_one")]
    pub max_files: u8,
}

impl AttachmentSpec {
    pub const DEFAULT_MAX_BYTES: u32 = 10 * MIB;
    pub const MAX_BYTES_CAP: u32 = 20 * MIB;
    pub const MAX_FILES_CAP: u8 = 10;
    pub const MAX_RETENTION_DAYS: u32 = 3_650;

    /// Checks one uploaded file: not empty, within the size limit, of an accepted type
    /// recognised from its content. The message is shown next to the upload field.
    pub fn check_upload(&self, bytes: &[u8]) -> Result<AttachmentType, LocalizedText> {
        if bytes.is_empty() {
            return Err(LocalizedText {
                it: "Il file è vuoto: scegli di nuovo il documento.".into(),
                en: Some("The file is empty: choose the document again.".into()),
            });
        }
        if bytes.len() > self.max_bytes as usize {
            let size = size_label(self.max_bytes);
            return Err(LocalizedText {
                it: format!("Il file è troppo grande: la dimensione massima è {size}."),
                en: Some(format!(
                    "The file is too large: the maximum size is {size}."
                )),
            });
        }
        match AttachmentType::sniff(bytes) {
            Some(kind) if self.accepted.contains(&kind) => Ok(kind),
            _ => {
                let labels: Vec<&str> = self.accepted.iter().map(|t| t.label()).collect();
                let (it, en) = match labels.as_slice() {
                    [one] => (format!("un file {one}"), format!("a {one} file")),
                    [init @ .., last] => (
                        format!("un file {} o {last}", init.join(", ")),
                        format!("a {} or {last} file", init.join(", ")),
                    ),
                    [] => ("un file".to_owned(), "a file".to_owned()),
                };
                Err(LocalizedText {
                    it: format!("Il formato del file non è ammesso: carica {it}."),
                    en: Some(format!("This file format is not accepted: upload {en}.")),
                })
            }
        }
    }
}

/// `10 MB` for whole mebibytes, `512 KB` otherwise: what citizens see in their file manager.
fn size_label(bytes: u32) -> String {
    if bytes.is_multiple_of(MIB) {
        format!("{} MB", bytes / MIB)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(toml_text: &str) -> AttachmentSpec {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn content_decides_the_type() {
        let cases: [(&[u8], Option<AttachmentType>); 7] = [
            (b"%PDF-1.7\n%...", Some(AttachmentType::Pdf)),
            (
                &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10],
                Some(AttachmentType::Jpeg),
            ),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", Some(AttachmentType::Png)),
            (b"GIF89a", None),
            (b"<html><body>%PDF-", None),
            (b"%PD", None),
            (b"", None),
        ];
        for (bytes, expected) in cases {
            assert_eq!(AttachmentType::sniff(bytes), expected, "{bytes:?}");
        }
    }

    #[test]
    fn defaults_and_limits_of_an_upload() {
        let photo = spec(
            r#"
id = "photo"
label = { it = "Fotografia", en = "Photograph" }
accepted = ["jpeg", "png"]
max_bytes = 1048576
"#,
        );
        assert_eq!(photo.required, Requirement::Always);
        assert_eq!(photo.max_files, 1);
        assert!(!photo.sensitive);
        assert_eq!(
            photo.check_upload(b"\x89PNG\r\n\x1a\nrest"),
            Ok(AttachmentType::Png)
        );
        let refused = photo.check_upload(b"%PDF-1.4").unwrap_err();
        assert!(refused.it.contains("JPEG o PNG"), "{}", refused.it);
        let mut big = vec![0xFF, 0xD8, 0xFF];
        big.resize(1024 * 1024 + 1, 0);
        let too_big = photo.check_upload(&big).unwrap_err();
        assert!(too_big.it.contains("1 MB"), "{}", too_big.it);
        assert!(photo.check_upload(b"").is_err());

        let document = spec(
            r#"id = "doc"
label = { it = "Documento" }"#,
        );
        assert_eq!(document.max_bytes, 10 * 1024 * 1024);
        assert_eq!(document.accepted, AttachmentType::ALL.to_vec());
        let refused = document.check_upload(b"PK\x03\x04").unwrap_err();
        assert_eq!(
            refused.en.as_deref(),
            Some("This file format is not accepted: upload a PDF, JPEG or PNG file.")
        );
        assert_eq!(size_label(512 * 1024 + 1), "513 KB");
    }
}
