//! Text normalisation for matching an answer against facts and the corpus: case, punctuation, number
//! words, units and British/American spellings fold to one form, so "eighteen microamps" in an answer
//! matches "18 µA" in a post, and "color" matches "colour".

use std::sync::OnceLock;
use tantivy::tokenizer::{Language, RawTokenizer, Stemmer, TextAnalyzer};
pub use twin_index::spelling::{british, is_american, is_british};

/// Unit spellings and the one form each folds to; applied to a word that follows a number (or is glued
/// to one, as in `18µA`).
const UNITS: &[(&str, &str)] = &[
    ("µa", "ua"),
    ("μa", "ua"),
    ("ua", "ua"),
    ("microamp", "ua"),
    ("microamps", "ua"),
    ("ma", "ma"),
    ("milliamp", "ma"),
    ("milliamps", "ma"),
    ("mah", "mah"),
    ("°c", "degc"),
    ("°", "degc"),
    ("c", "degc"),
    ("degree", "degc"),
    ("degrees", "degc"),
    ("celsius", "degc"),
    ("%", "percent"),
    ("percent", "percent"),
    ("km", "km"),
    ("kilometre", "km"),
    ("kilometres", "km"),
    ("kilometer", "km"),
    ("kilometers", "km"),
    ("m", "m"),
    ("metre", "m"),
    ("metres", "m"),
    ("meter", "m"),
    ("meters", "m"),
    ("cm", "cm"),
    ("mm", "mm"),
    ("kg", "kg"),
    ("kilo", "kg"),
    ("kilos", "kg"),
    ("g", "g"),
    ("gram", "g"),
    ("grams", "g"),
    ("mile", "mile"),
    ("miles", "mile"),
    ("min", "minute"),
    ("mins", "minute"),
    ("minute", "minute"),
    ("minutes", "minute"),
    ("hr", "hour"),
    ("hrs", "hour"),
    ("hour", "hour"),
    ("hours", "hour"),
    ("sec", "second"),
    ("secs", "second"),
    ("second", "second"),
    ("seconds", "second"),
    ("v", "v"),
    ("volt", "v"),
    ("volts", "v"),
    ("w", "w"),
    ("watt", "w"),
    ("watts", "w"),
    ("ms", "ms"),
];

/// Number words and their values; `hundred` and `thousand` multiply.
const NUMBER_WORDS: &[(&str, u64)] = &[
    ("zero", 0),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
];

/// Lowercase words and numbers, split on anything else; apostrophes inside words are dropped
/// (`don't` → `dont`), decimal points and thousands separators inside numbers are kept or removed
/// (`0.4`, `1,200` → `1200`), and `°` and `%` are words of their own.
pub fn words(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if !cur.is_empty() {
            out.push(std::mem::take(cur));
        }
    };
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let next = chars.get(i + 1).copied();
        let digit_around =
            prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit());
        if c.is_alphanumeric() || c == 'µ' {
            cur.extend(c.to_lowercase());
        } else if (c == '\'' || c == '’')
            && !cur.is_empty()
            && next.is_some_and(char::is_alphabetic)
        {
            // inside a word: dropped
        } else if c == '.' && digit_around {
            cur.push('.');
        } else if c == ',' && digit_around {
            // thousands separator: dropped
        } else if c == '°' || c == '%' {
            flush(&mut cur, &mut out);
            // `°C` stays one word so it folds to one unit.
            if c == '°' && next.is_some_and(|n| n == 'C' || n == 'c') {
                cur.push('°');
            } else {
                out.push(c.to_string());
            }
        } else {
            flush(&mut cur, &mut out);
        }
    }
    flush(&mut cur, &mut out);
    out
}

fn unit(word: &str) -> Option<&'static str> {
    UNITS.iter().find(|(u, _)| *u == word).map(|(_, f)| *f)
}

fn is_number(word: &str) -> bool {
    word.chars().next().is_some_and(|c| c.is_ascii_digit())
        && word.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// Splits `18µa` into `18` and `µa` when the letters are a known unit; otherwise `None` (`bme280`,
/// `419d` stay whole).
fn split_glued_unit(word: &str) -> Option<(String, &'static str)> {
    let at = word.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, rest) = word.split_at(at);
    if !is_number(num) {
        return None;
    }
    Some((num.to_string(), unit(rest)?))
}

/// Normalised tokens of a text: [`words`], number words as digits (`four hundred` → `400`,
/// `one thousand two hundred` → `1200`), units folded after numbers (`18 µA`, `18µA`, `eighteen
/// microamps` → `18 ua`), British spellings.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // A number being spelled out: thousands so far, and the part below a thousand.
    let mut pending: Option<(u64, u64)> = None;
    let mut after_number = false;
    let finish = |pending: &mut Option<(u64, u64)>, out: &mut Vec<String>| {
        if let Some((thousands, rest)) = pending.take() {
            out.push(thousands.saturating_add(rest).to_string());
        }
    };
    for w in words(text) {
        if let Some((_, v)) = NUMBER_WORDS.iter().find(|(n, _)| *n == w) {
            pending = Some(match pending {
                Some((t, r)) if r % 10 == 0 && r % 100 >= 20 && *v < 10 => (t, r + v),
                Some((t, r)) if r % 100 == 0 && (r > 0 || t > 0) => (t, r + v),
                Some(p) => {
                    // "two three" is two numbers.
                    finish(&mut Some(p), &mut out);
                    (0, *v)
                }
                None => (0, *v),
            });
            continue;
        }
        if let (Some((t, r)), "hundred") = (pending, w.as_str()) {
            pending = Some((t, r.max(1).saturating_mul(100)));
            continue;
        }
        if let (Some((t, r)), "thousand") = (pending, w.as_str()) {
            pending = Some((t.saturating_add(r.max(1)).saturating_mul(1000), 0));
            continue;
        }
        let had_number = pending.is_some();
        finish(&mut pending, &mut out);
        if had_number {
            after_number = true;
        }
        if let Some((num, u)) = split_glued_unit(&w) {
            out.push(num);
            out.push(u.to_string());
            after_number = false;
            continue;
        }
        if after_number && let Some(u) = unit(&w) {
            out.push(u.to_string());
            after_number = false;
            continue;
        }
        after_number = is_number(&w);
        out.push(british(&w));
    }
    finish(&mut pending, &mut out);
    out
}

fn stemmer() -> &'static std::sync::Mutex<TextAnalyzer> {
    static STEMMER: OnceLock<std::sync::Mutex<TextAnalyzer>> = OnceLock::new();
    STEMMER.get_or_init(|| {
        std::sync::Mutex::new(
            TextAnalyzer::builder(RawTokenizer::default())
                .filter(Stemmer::new(Language::English))
                .build(),
        )
    })
}

/// The English (Snowball) stem of a normalised token; numbers are left alone.
pub fn stem(token: &str) -> String {
    if is_number(token) {
        return token.to_string();
    }
    let mut analyzer = stemmer().lock().unwrap_or_else(|p| p.into_inner());
    let mut stream = analyzer.token_stream(token);
    let mut out = token.to_string();
    if stream.advance() {
        out = stream.token().text.clone();
    }
    out
}

/// [`tokens`], stemmed.
pub fn stems(text: &str) -> Vec<String> {
    tokens(text).iter().map(|t| stem(t)).collect()
}

/// Whether a normalised token is a folded unit (`ua`, `degc`, `minute`...), as [`tokens`] writes them.
pub fn is_unit(token: &str) -> bool {
    UNITS.iter().any(|(_, folded)| *folded == token)
}

/// Whether a normalised token is a number (`18`, `0.4`).
pub fn is_numeric(token: &str) -> bool {
    is_number(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_units_and_words_fold_together() {
        assert_eq!(
            tokens("18 µA in deep sleep"),
            ["18", "ua", "in", "deep", "sleep"]
        );
        assert_eq!(tokens("18µA"), ["18", "ua"]);
        assert_eq!(tokens("eighteen microamps"), ["18", "ua"]);
        assert_eq!(tokens("It read 31 °C"), ["it", "read", "31", "degc"]);
        assert_eq!(tokens("31 degrees"), ["31", "degc"]);
        assert_eq!(tokens("four hundred metres"), ["400", "m"]);
        assert_eq!(tokens("twenty-five"), ["25"]);
        assert_eq!(tokens("one thousand two hundred"), ["1200"]);
        assert_eq!(tokens("two three"), ["2", "3"]);
        let many = "one thousand ".repeat(12);
        assert_eq!(tokens(&many).len(), 1, "saturates instead of overflowing");
        assert_eq!(
            tokens("1,200 words at 0.4 mA"),
            ["1200", "words", "at", "0.4", "ma"]
        );
        assert_eq!(tokens("75% hydration"), ["75", "percent", "hydration"]);
        assert_eq!(tokens("every five minutes"), ["every", "5", "minute"]);
    }

    #[test]
    fn part_names_stay_whole_and_case_and_punctuation_go() {
        assert_eq!(
            tokens("The ESP32-C3 and a BME280!"),
            ["the", "esp32", "c3", "and", "a", "bme280"]
        );
        assert_eq!(tokens("MG Chemicals 419D"), ["mg", "chemicals", "419d"]);
        assert_eq!(tokens("Don't, won’t."), ["dont", "wont"]);
    }

    #[test]
    fn american_spellings_become_british() {
        assert_eq!(
            tokens("gray color, optimized aluminum"),
            ["grey", "colour", "optimised", "aluminium"]
        );
        assert_eq!(
            tokens("the size of the prize"),
            ["the", "size", "of", "the", "prize"]
        );
        assert!(is_american("color") && !is_american("colour"));
        assert!(is_british("colour") && is_british("optimise") && !is_british("color"));
    }

    #[test]
    fn stems_match_across_forms() {
        assert_eq!(stem("coatings"), stem("coating"));
        assert_eq!(stems("sensors rusted"), stems("sensor rust"));
        assert_eq!(stem("0.4"), "0.4");
    }
}
