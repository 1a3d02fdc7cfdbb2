//! British and American spellings of one word, in one place: the query adds the other spelling of a
//! reader's word (a reader writing "color" finds a post about "colour", and the other way round), and the
//! eval folds both to British to match facts and to score the author's spelling.

/// American spellings and their British forms (the demo author writes British English). `-ize` words are
/// folded by rule in [`british`].
pub const AMERICAN_TO_BRITISH: &[(&str, &str)] = &[
    ("color", "colour"),
    ("colors", "colours"),
    ("favorite", "favourite"),
    ("favorites", "favourites"),
    ("behavior", "behaviour"),
    ("honor", "honour"),
    ("neighbor", "neighbour"),
    ("neighbors", "neighbours"),
    ("flavor", "flavour"),
    ("humor", "humour"),
    ("labor", "labour"),
    ("center", "centre"),
    ("centers", "centres"),
    ("meter", "metre"),
    ("meters", "metres"),
    ("liter", "litre"),
    ("liters", "litres"),
    ("fiber", "fibre"),
    ("theater", "theatre"),
    ("gray", "grey"),
    ("aluminum", "aluminium"),
    ("catalog", "catalogue"),
    ("defense", "defence"),
    ("mold", "mould"),
    ("moldy", "mouldy"),
    ("cozy", "cosy"),
    ("pajamas", "pyjamas"),
    ("jewelry", "jewellery"),
    ("traveling", "travelling"),
    ("traveled", "travelled"),
    ("modeling", "modelling"),
    ("analyze", "analyse"),
    ("analyzed", "analysed"),
    ("analyzing", "analysing"),
    ("math", "maths"),
    ("vacation", "holiday"),
    ("tire", "tyre"),
    ("tires", "tyres"),
    ("plow", "plough"),
    ("skeptical", "sceptical"),
    ("mustache", "moustache"),
];

/// `-ize` words that are the same in British English.
const IZE_KEEP: &[&str] = &[
    "size",
    "sizes",
    "sized",
    "sizing",
    "resize",
    "resized",
    "resizes",
    "resizing",
    "prize",
    "prizes",
    "prized",
    "seize",
    "seizes",
    "seized",
    "seizing",
    "capsize",
    "capsizes",
    "capsized",
    "capsizing",
];

/// The British form of a lowercase word (itself when it has none).
pub fn british(word: &str) -> String {
    if let Some((_, b)) = AMERICAN_TO_BRITISH.iter().find(|(a, _)| *a == word) {
        return (*b).to_string();
    }
    if !IZE_KEEP.contains(&word) && word.len() > 5 {
        for (am, br) in [
            ("ization", "isation"),
            ("izing", "ising"),
            ("izes", "ises"),
            ("ized", "ised"),
            ("ize", "ise"),
        ] {
            if let Some(stem) = word.strip_suffix(am) {
                return format!("{stem}{br}");
            }
        }
    }
    word.to_string()
}

/// Whether a lowercase word is an American spelling with a different British form.
pub fn is_american(word: &str) -> bool {
    british(word) != word
}

/// Whether a lowercase word is a British spelling that American English writes differently.
pub fn is_british(word: &str) -> bool {
    AMERICAN_TO_BRITISH.iter().any(|(_, b)| *b == word)
        || (!IZE_KEEP.contains(&word)
            && word.len() > 5
            && ["isation", "ising", "ised", "ises", "ise"]
                .iter()
                .any(|s| word.ends_with(s))
            && [
                "optimis",
                "organis",
                "realis",
                "recognis",
                "apologis",
                "prioritis",
                "summaris",
                "customis",
                "minimis",
                "maximis",
                "standardis",
                "categoris",
                "memoris",
                "utilis",
                "specialis",
            ]
            .iter()
            .any(|p| word.starts_with(p)))
}

/// The American form of a lowercase British word (itself when it has none): the table read backwards,
/// and `-ise` folded to `-ize` for the verbs [`is_british`] knows.
pub fn american(word: &str) -> String {
    if let Some((a, _)) = AMERICAN_TO_BRITISH.iter().find(|(_, b)| *b == word) {
        return (*a).to_string();
    }
    if is_british(word) {
        for (br, am) in [
            ("isation", "ization"),
            ("ising", "izing"),
            ("ises", "izes"),
            ("ised", "ized"),
            ("ise", "ize"),
        ] {
            if let Some(stem) = word.strip_suffix(br) {
                return format!("{stem}{am}");
            }
        }
    }
    word.to_string()
}

/// The other spelling of a lowercase word, if it has one.
pub fn other_spelling(word: &str) -> Option<String> {
    let b = british(word);
    if b != word {
        return Some(b);
    }
    let a = american(word);
    (a != word).then_some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_fold_both_ways() {
        assert_eq!(other_spelling("color").as_deref(), Some("colour"));
        assert_eq!(other_spelling("colour").as_deref(), Some("color"));
        assert_eq!(other_spelling("organized").as_deref(), Some("organised"));
        assert_eq!(other_spelling("organised").as_deref(), Some("organized"));
        assert_eq!(other_spelling("tires").as_deref(), Some("tyres"));
        assert_eq!(other_spelling("size"), None);
        assert_eq!(other_spelling("seized"), None);
        assert_eq!(other_spelling("capsized"), None);
        assert_eq!(other_spelling("bread"), None);
    }
}
