//! The article on a web page, found with `dom_smoothie` (a maintained port of Mozilla's Readability):
//! its title, its body as HTML, and its published date when the page says.

/// Less text than this is a menu, a stub or an error page, not a post.
const MIN_TEXT: usize = 200;

/// The readable part of a page.
#[derive(Debug, Clone)]
pub struct Article {
    pub title: String,
    /// The article body as HTML (navigation, footers and sidebars removed).
    pub html: String,
    /// The page's published date as it states it (meta tags or JSON-LD), not yet normalised.
    pub published: Option<String>,
    pub excerpt: Option<String>,
}

/// The article on `html` (fetched from `url`), or why there is none.
pub fn article(html: &str, url: &str) -> Result<Article, String> {
    crate::html::check_depth(html)?;
    let mut reader =
        dom_smoothie::Readability::new(html, Some(url), None).map_err(|e| e.to_string())?;
    let found = reader
        .parse()
        .map_err(|e| format!("no article found ({e})"))?;
    let text: String = found
        .text_content
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if text.chars().count() < MIN_TEXT {
        return Err(format!(
            "no article found (only {} characters of text)",
            text.chars().count()
        ));
    }
    let body = dom_query::Document::fragment(found.content.to_string());
    let link_text: usize = body
        .select("a")
        .iter()
        .map(|a| a.text().split_whitespace().map(str::len).sum::<usize>())
        .sum();
    let all_text: usize = text.split(' ').map(str::len).sum();
    if link_text * 2 > all_text {
        return Err("no article found (mostly links: a menu or an index page)".into());
    }
    Ok(Article {
        title: found.title,
        html: found.content.to_string(),
        published: found.published_time,
        excerpt: found.excerpt,
    })
}
