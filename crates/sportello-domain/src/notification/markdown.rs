//! The markdown of notifications: the subset App IO renders (headings, emphasis, lists,
//! links), turned into the HTML part of the e-mail. Raw HTML is never passed through: a
//! template or a value cannot inject markup into a mail client.

use pulldown_cmark::{Event, Options, Parser, html};

/// Escapes a value for inclusion in markdown text, so a service title such as
/// `Permesso *ZTL* [centro]` prints as written instead of turning into emphasis or a link.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '{'
                | '}'
                | '['
                | ']'
                | '('
                | ')'
                | '#'
                | '+'
                | '-'
                | '!'
                | '<'
                | '>'
                | '|'
                | '~'
        ) {
            out.push('\\');
        }
        // A value is one line: a newline would start a new block.
        out.push(if c == '\n' || c == '\r' { ' ' } else { c });
    }
    out
}

/// The HTML of a markdown body, with raw HTML shown as text.
pub fn to_html(markdown: &str) -> String {
    let parser = Parser::new_ext(markdown, Options::empty()).map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, parser);
    out
}

/// The plain-text part of an e-mail: the markdown without its escapes and emphasis marks,
/// links written as `text (url)`.
pub fn to_plain_text(markdown: &str) -> String {
    use pulldown_cmark::{Tag, TagEnd};
    let mut out = String::with_capacity(markdown.len());
    let mut links: Vec<String> = Vec::new();
    for event in Parser::new_ext(markdown, Options::empty()) {
        match event {
            Event::Text(text) | Event::Code(text) | Event::Html(text) | Event::InlineHtml(text) => {
                out.push_str(&text)
            }
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::Start(Tag::Item) => out.push_str("- "),
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
            Event::End(TagEnd::Link) => {
                if let Some(url) = links.pop() {
                    out.push_str(&format!(" ({url})"));
                }
            }
            Event::End(TagEnd::Item) => out.push('\n'),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::List(_)) | Event::Rule => {
                out.push_str("\n\n")
            }
            _ => {}
        }
    }
    // Paragraphs are separated by one blank line.
    let mut text = String::with_capacity(out.len());
    let mut blank = 0;
    for line in out.lines() {
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !text.is_empty() {
            text.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        text.push_str(line.trim_end());
    }
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_values_print_as_written() {
        let value = "Permesso *ZTL* [centro](x) <b>";
        let html = to_html(&escape(value));
        assert!(
            html.contains("Permesso *ZTL* [centro](x) &lt;b&gt;"),
            "{html}"
        );
    }

    #[test]
    fn raw_html_in_a_template_is_shown_not_run() {
        let html = to_html("Ciao <script>alert(1)</script> **tu**");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("<strong>tu</strong>"));
    }

    #[test]
    fn plain_text_keeps_links_and_paragraphs() {
        let text = to_plain_text(
            "# Titolo\n\nVai all'[area personale](https://x.it/a).\n\n- uno\n- due\n",
        );
        assert_eq!(
            text,
            "Titolo\n\nVai all'area personale (https://x.it/a).\n\n- uno\n- due\n"
        );
    }
}
