//! WordPress export (WXR, Tools → Export): published posts with their permalink, date, slug, categories
//! and tags; pages, attachments, drafts and password-protected posts skipped with the reason.

use crate::error::{ImportError, line_of};
use crate::html::to_markdown;
use crate::post::{
    ImportedPost, Item, SiteInfo, clean_title, html_text, normalise_date, shorten, slug_for,
};
use crate::source::Doc;
use regex::Regex;
use roxmltree::Node;
use std::sync::LazyLock;

const CONTENT_NS: &str = "http://purl.org/rss/1.0/modules/content/";

/// Every `<item>` of a WXR file.
pub fn read_wxr(doc: &Doc) -> Result<(Vec<Item>, SiteInfo), ImportError> {
    let text = doc.text.trim_start_matches('\u{feff}');
    let xml = roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .map_err(|e| {
        ImportError::at_line(&doc.place, e.pos().row as usize, format!("broken XML: {e}"))
    })?;
    let channel = xml
        .descendants()
        .find(|n| n.has_tag_name("channel"))
        .ok_or_else(|| ImportError::new(&doc.place, "not a WordPress export: no <channel>"))?;
    let items: Vec<Node> = channel
        .children()
        .filter(|n| n.has_tag_name("item"))
        .collect();
    if items.is_empty() {
        return Err(ImportError::at_line(
            &doc.place,
            line_of(text, channel.range().start),
            "the export has no <item>s",
        ));
    }
    let site = SiteInfo {
        title: plain(&channel, "title")
            .map(|t| clean_title(&t))
            .filter(|t| !t.is_empty()),
        home: plain(&channel, "link")
            .map(|l| l.trim().to_string())
            .filter(|l| l.starts_with("http")),
        author: channel
            .children()
            .find(|c| c.tag_name().name() == "author")
            .and_then(|a| wp(&a, "author_display_name").or_else(|| wp(&a, "author_login")))
            .map(|a| clean_title(&a))
            .filter(|a| !a.is_empty()),
    };
    Ok((items.iter().map(item).collect(), site))
}

/// The text of the first child named `name` in the WordPress export namespace (any version).
fn wp(node: &Node, name: &str) -> Option<String> {
    node.children()
        .find(|c| {
            c.tag_name().name() == name
                && c.tag_name()
                    .namespace()
                    .is_some_and(|ns| ns.contains("wordpress.org/export"))
        })
        .and_then(|c| c.text())
        .map(str::to_string)
}

fn plain(node: &Node, name: &str) -> Option<String> {
    node.children()
        .find(|c| c.tag_name().name() == name && c.tag_name().namespace().is_none())
        .and_then(|c| c.text())
        .map(str::to_string)
}

fn item(node: &Node) -> Item {
    let title = plain(node, "title")
        .map(|t| html_text(&t))
        .unwrap_or_default();
    let url = plain(node, "link")
        .map(|l| l.trim().to_string())
        .filter(|l| l.starts_with("http"));
    let label = url.clone().unwrap_or_else(|| {
        if title.is_empty() {
            "an untitled item".into()
        } else {
            title.clone()
        }
    });
    let kind = wp(node, "post_type").unwrap_or_else(|| "post".into());
    if kind != "post" {
        return Item::skipped(label, format!("a WordPress {kind}, not a post"));
    }
    let status = wp(node, "status").unwrap_or_default();
    if status != "publish" {
        return Item::skipped(label, format!("not published (status `{status}`)"));
    }
    if wp(node, "post_password").is_some_and(|p| !p.trim().is_empty()) {
        return Item::skipped(label, "password protected");
    }
    let Some(url) = url else {
        return Item::skipped(label, "no <link> to the post");
    };
    let date = wp(node, "post_date_gmt")
        .as_deref()
        .and_then(normalise_date)
        .or_else(|| wp(node, "post_date").as_deref().and_then(normalise_date))
        .or_else(|| plain(node, "pubDate").as_deref().and_then(normalise_date));
    let Some(date) = date else {
        return Item::skipped(url, "no date");
    };
    let html = node
        .children()
        .find(|c| c.tag_name().name() == "encoded" && c.tag_name().namespace() == Some(CONTENT_NS))
        .and_then(|c| c.text())
        .unwrap_or("");
    let (html, embeds) = strip_shortcodes(html);
    let converted = match to_markdown(&autop(&html)) {
        Ok(c) => c,
        Err(why) => return Item::skipped(url, why),
    };
    if converted.markdown.trim().is_empty() {
        return Item::skipped(url, "no text");
    }
    if title.is_empty() {
        return Item::skipped(url, "no title");
    }
    let tags = node
        .children()
        .filter(|c| {
            c.has_tag_name("category")
                && matches!(c.attribute("domain"), Some("post_tag" | "category"))
        })
        .filter_map(|c| c.text().map(clean_title))
        .filter(|t| !t.is_empty() && t != "Uncategorized")
        .collect();
    let summary = node
        .children()
        .find(|c| {
            c.tag_name().name() == "encoded"
                && c.tag_name()
                    .namespace()
                    .is_some_and(|ns| ns.contains("excerpt"))
        })
        .and_then(|c| c.text())
        .map(html_text)
        .filter(|s| !s.is_empty())
        .map(|s| shorten(&s, 300));
    let slug = wp(node, "post_name")
        .map(|s| slug::slugify(s.trim()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| slug_for(&url, &title));
    Item::Post(ImportedPost {
        title,
        date,
        url,
        slug,
        tags,
        summary,
        markdown: converted.markdown,
        dropped_media: converted.dropped_media + embeds,
        notes: vec![],
    })
}

static MEDIA_SHORTCODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)\[(embed|video|audio|playlist)\b[^\]]*\].*?\[/(embed|video|audio|playlist)\]|\[(gallery|video|audio|playlist|embed)\b[^\]]*/?\]")
        .expect("a valid pattern")
});
static ANY_SHORTCODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[/?(caption|wp_caption)\b[^\]]*\]").expect("a valid pattern"));

/// Media shortcodes (`[embed]…[/embed]`, `[gallery …]`) removed and counted; `[caption]` wrappers
/// removed, their text kept.
fn strip_shortcodes(html: &str) -> (String, usize) {
    let embeds = MEDIA_SHORTCODE.find_iter(html).count();
    let html = MEDIA_SHORTCODE.replace_all(html, "");
    (ANY_SHORTCODE.replace_all(&html, "").into_owned(), embeds)
}

/// WordPress stores classic posts without `<p>`: blank lines separate paragraphs (its `wpautop`).
fn autop(html: &str) -> String {
    if html.contains("<p>") || html.contains("<p ") || !html.contains("\n\n") {
        return html.to_string();
    }
    html.split("\n\n")
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(|block| {
            let block_level = [
                "<h",
                "<ul",
                "<ol",
                "<pre",
                "<blockquote",
                "<div",
                "<figure",
                "<table",
                "<!--",
                "<hr",
            ]
            .iter()
            .any(|t| block.starts_with(t));
            if block_level {
                block.to_string()
            } else {
                format!("<p>{block}</p>")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_paragraphs_and_shortcodes() {
        let (html, n) = strip_shortcodes(
            "[caption id=\"1\"]<img src=a.jpg> The heap[/caption]\n\n[embed]https://youtu.be/x[/embed]\n\n[gallery ids=\"1,2\"]",
        );
        assert_eq!(n, 2);
        assert!(html.contains("The heap") && !html.contains("youtu") && !html.contains("gallery"));
        assert_eq!(
            autop("One\n\nTwo\n\n<h2>Three</h2>"),
            "<p>One</p>\n<p>Two</p>\n<h2>Three</h2>"
        );
    }
}
