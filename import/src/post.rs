//! One imported post and the Markdown file `twin index` reads that it becomes: TOML front matter (`+++`)
//! with title, date, slug, url, tags and summary, then the body.

use serde::Serialize;

/// A post read from any source, before it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedPost {
    pub title: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The live post's public URL: passages link here.
    pub url: String,
    /// The file name and the slug `twin index` uses (made unique when written).
    pub slug: String,
    pub tags: Vec<String>,
    pub summary: Option<String>,
    /// The body as Markdown.
    pub markdown: String,
    /// Images and embeds left out of the Markdown.
    pub dropped_media: usize,
    /// Anything the summary should say about this post (not written to the file).
    pub notes: Vec<String>,
}

/// What a source says about the blog itself, for a first `site.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteInfo {
    pub title: Option<String>,
    /// The blog's home page.
    pub home: Option<String>,
    pub author: Option<String>,
}

/// What a source gave for one item: a post, or a reason it is not one.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Post(ImportedPost),
    Skipped { what: String, why: String },
}

impl Item {
    pub fn skipped(what: impl Into<String>, why: impl Into<String>) -> Item {
        Item::Skipped {
            what: what.into(),
            why: why.into(),
        }
    }
}

#[derive(Serialize)]
struct Front<'a> {
    title: &'a str,
    date: &'a str,
    slug: &'a str,
    url: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    /// Marks the file as written by `twin import`, so a rerun may update it.
    imported: bool,
}

impl ImportedPost {
    /// The file's text: the same input gives the same bytes, so reruns change nothing.
    pub fn render(&self) -> String {
        // One line each: a TOML multi-line string could hold a `+++` line and end the block early.
        let title = clean_title(&self.title);
        let tags: Vec<String> = self.tags.iter().map(|t| clean_title(t)).collect();
        let summary = self.summary.as_deref().map(clean_title);
        let front = Front {
            title: &title,
            date: &self.date,
            slug: &self.slug,
            url: &clean_title(&self.url),
            tags: &tags,
            summary: summary.as_deref().filter(|s| !s.is_empty()),
            imported: true,
        };
        // Serialising plain strings, a bool and a list of strings to TOML cannot fail.
        let toml = toml::to_string(&front).unwrap_or_default();
        let text = format!("+++\n{toml}+++\n\n{}\n", self.markdown.trim());
        with_crc(&text)
    }
}

/// The line recording the checksum of the file as written, so a rerun can tell a file edited by hand.
fn crc_line(crc: u32) -> String {
    format!("import_crc = \"{crc:08x}\"\n")
}

/// `text` with its checksum line added as the front matter's last line.
fn with_crc(text: &str) -> String {
    let crc = crc32fast::hash(text.as_bytes());
    match text[4..].find("+++\n") {
        Some(end) => format!("{}{}{}", &text[..4 + end], crc_line(crc), &text[4 + end..]),
        None => text.to_string(),
    }
}

/// Whether a file `twin import` wrote is as it wrote it (its checksum line matches the rest). A byte-order
/// mark and CRLF line ends (a Windows checkout) do not count as edits.
pub fn untouched(file_text: &str) -> bool {
    let text = normalised(file_text);
    let Some(line) = text.lines().find(|l| l.starts_with("import_crc = \"")) else {
        // Written before files carried a checksum: nothing to compare, so taken as untouched.
        return true;
    };
    let Some(crc) = line
        .trim_start_matches("import_crc = \"")
        .trim_end_matches('"')
        .get(..8)
        .and_then(|h| u32::from_str_radix(h, 16).ok())
    else {
        return false;
    };
    let without = text.replacen(&format!("{line}\n"), "", 1);
    crc32fast::hash(without.as_bytes()) == crc
}

/// A file's text without a byte-order mark and with `\n` line ends.
pub fn normalised(text: &str) -> String {
    text.trim_start_matches('\u{feff}').replace("\r\n", "\n")
}

/// A slug from a post URL's last path segment (`/2024/07/hot-composting/` → `hot-composting`), else
/// from the title.
pub fn slug_for(url: &str, title: &str) -> String {
    let from_url = url::Url::parse(url).ok().and_then(|u| {
        u.path_segments()?.rev().find(|s| !s.is_empty()).map(|s| {
            s.trim_end_matches(".html")
                .trim_end_matches(".htm")
                .to_string()
        })
    });
    let base = from_url
        .filter(|s| !s.chars().all(|c| c.is_ascii_digit()) && s != "index")
        .unwrap_or_else(|| title.to_string());
    let slug = slug::slugify(base);
    if slug.is_empty() {
        "post".into()
    } else {
        slug.chars()
            .take(80)
            .collect::<String>()
            .trim_end_matches('-')
            .to_string()
    }
}

/// `YYYY-MM-DD` from the date forms exports and feeds use: RFC 3339, RFC 2822, `YYYY-MM-DD hh:mm:ss`,
/// or a bare date. `None` when none fits.
pub fn normalise_date(raw: &str) -> Option<String> {
    let s = raw.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(d.format("%Y-%m-%d").to_string());
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc2822(s) {
        return Some(d.format("%Y-%m-%d").to_string());
    }
    let head: String = s.chars().take(10).collect();
    chrono::NaiveDate::parse_from_str(&head, "%Y-%m-%d")
        .ok()
        .map(|d| d.format("%Y-%m-%d").to_string())
}

/// The text of an HTML fragment (tags dropped, entities decoded), on one line.
pub fn html_text(html: &str) -> String {
    clean_title(&dom_query::Document::fragment(html).text())
}

/// At most `max` characters, cut at a word.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ']))
}

/// Text on one line: runs of whitespace (newlines included) become one space.
pub fn clean_title(raw: &str) -> String {
    // Control characters (a terminal escape in a hostile title) are dropped.
    raw.split_whitespace()
        .map(|w| w.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_come_from_the_url_then_the_title() {
        assert_eq!(
            slug_for("https://a.example/2024/07/hot-composting/", "x"),
            "hot-composting"
        );
        assert_eq!(slug_for("https://a.example/p/tides.html", "x"), "tides");
        assert_eq!(
            slug_for("https://a.example/?p=123", "Salt & Sea!"),
            "salt-sea"
        );
        assert_eq!(slug_for("https://a.example/2024/07/", "Tides"), "tides");
        assert_eq!(slug_for("not a url", "¿?"), "post");
    }

    #[test]
    fn dates_in_every_form_become_iso_days() {
        assert_eq!(
            normalise_date("2024-07-06T10:00:00+02:00").as_deref(),
            Some("2024-07-06")
        );
        assert_eq!(
            normalise_date("Sat, 06 Jul 2024 10:00:00 +0000").as_deref(),
            Some("2024-07-06")
        );
        assert_eq!(
            normalise_date("2024-07-06 10:00:00").as_deref(),
            Some("2024-07-06")
        );
        assert_eq!(normalise_date("0000-00-00 00:00:00"), None);
        assert_eq!(normalise_date("yesterday"), None);
    }

    #[test]
    fn the_front_matter_escapes_what_it_holds() {
        let post = ImportedPost {
            title: "Quotes \" and +++ and \\ too".into(),
            date: "2024-07-06".into(),
            url: "https://a.example/q/".into(),
            slug: "q".into(),
            tags: vec!["a\"b".into()],
            summary: Some("two\n+++\nlines".into()),
            markdown: "Body.".into(),
            dropped_media: 0,
            notes: vec![],
        };
        let text = post.render();
        let inner = text
            .strip_prefix("+++\n")
            .and_then(|t| t.split_once("+++\n"))
            .map(|(f, _)| f);
        let parsed: toml::Value =
            toml::from_str(inner.expect("a front matter block")).expect("valid TOML");
        assert_eq!(
            parsed["title"].as_str(),
            Some("Quotes \" and +++ and \\ too")
        );
        assert_eq!(parsed["tags"][0].as_str(), Some("a\"b"));
        assert_eq!(parsed["summary"].as_str(), Some("two +++ lines"));
        assert!(text.ends_with("Body.\n"));
        assert!(untouched(&text), "{text}");
        assert!(
            untouched(&format!("\u{feff}{}", text.replace('\n', "\r\n"))),
            "a BOM and CRLF are not edits"
        );
        assert!(!untouched(&text.replace("Body.", "Body, edited.")));
        assert_eq!(clean_title("a\u{1b}[31mred\u{7}\ttitle"), "a[31mred title");
    }
}
