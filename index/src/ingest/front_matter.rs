//! Front matter in the Hugo/Zola/Jekyll/Astro conventions: YAML between `---` lines or TOML between
//! `+++` lines, split and parsed by `gray_matter`.

use gray_matter::Matter;
use gray_matter::engine::{TOML, YAML};
use serde::Deserialize;

/// The front matter fields twin reads; others (layout, draft flags of other tools...) are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub date: Option<String>,
    pub slug: Option<String>,
    pub url: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub draft: bool,
}

/// A document split into front matter and body.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub front: FrontMatter,
    /// The markdown after the front matter.
    pub body: String,
    /// 1-based line where the body starts in the file.
    pub body_line: usize,
    /// Whether the file had a front matter block at all.
    pub has_front_matter: bool,
}

/// Splits and parses front matter. Errors carry a 1-based line in the file.
pub fn parse_front_matter(text: &str) -> Result<Parsed, (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("").trim_end();
    let (result, delim) = match first {
        "---" => (Matter::<YAML>::new().parse::<FrontMatter>(text), "---"),
        "+++" => {
            let mut m = Matter::<TOML>::new();
            m.delimiter = "+++".into();
            (m.parse::<FrontMatter>(text), "+++")
        }
        _ => {
            return Ok(Parsed {
                front: FrontMatter::default(),
                body: text.to_string(),
                body_line: 1,
                has_front_matter: false,
            });
        }
    };
    let closing = text
        .lines()
        .skip(1)
        .position(|l| l.trim_end() == delim)
        .ok_or((
            1,
            format!("front matter opened with `{delim}` is never closed"),
        ))?;
    // The line after the closing fence; a file that ends at its fence has no such line, so a problem
    // with its (empty) body points at the fence (found by the fuzz target `content`).
    let body_line = (closing + 3).min(text.lines().count().max(1));
    let parsed = result.map_err(|e| (2, format!("front matter does not parse: {e}")))?;
    Ok(Parsed {
        front: parsed.data.unwrap_or_default(),
        body: parsed.content,
        body_line,
        has_front_matter: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_yaml_and_toml() {
        let y = parse_front_matter("---\ntitle: A\ndate: 2024-01-02\ntags: [x, y]\n---\nBody\n")
            .expect("yaml");
        assert_eq!(y.front.title.as_deref(), Some("A"));
        assert_eq!(y.front.date.as_deref(), Some("2024-01-02"));
        assert_eq!(y.front.tags, ["x", "y"]);
        assert_eq!(y.body.trim(), "Body");
        assert_eq!(y.body_line, 6);
        let t =
            parse_front_matter("+++\ntitle = \"B\"\ndate = 2024-01-03\nslug = \"b\"\n+++\nText")
                .expect("toml");
        assert_eq!(t.front.title.as_deref(), Some("B"));
        assert_eq!(t.front.date.as_deref(), Some("2024-01-03"));
        assert_eq!(t.front.slug.as_deref(), Some("b"));
    }

    #[test]
    fn reports_unclosed_and_broken_front_matter_with_lines() {
        let (line, msg) = parse_front_matter("---\ntitle: A\nno end").unwrap_err();
        assert_eq!(line, 1);
        assert!(msg.contains("never closed"), "{msg}");
        let (line, msg) = parse_front_matter("+++\ntitle = = 3\n+++\nx").unwrap_err();
        assert_eq!(line, 2);
        assert!(msg.contains("does not parse"), "{msg}");
    }

    #[test]
    fn no_front_matter_is_not_an_error() {
        let p = parse_front_matter("# Hello\n\ntext").expect("plain");
        assert!(!p.has_front_matter);
        assert_eq!(p.body_line, 1);
    }
}
