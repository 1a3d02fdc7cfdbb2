//! The price table (model id → dollars per million tokens in and out) and cost per 1,000 questions.

use serde::Deserialize;
use std::collections::BTreeMap;

/// The table shipped with twin (`eval/prices.toml`).
pub const DEFAULT_PRICES: &str = include_str!("../prices.toml");

/// One model's price, US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input: f64,
    pub output: f64,
}

/// Prices by model id.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    #[serde(default)]
    pub model: BTreeMap<String, Price>,
}

impl Prices {
    /// Parses a price table; `file` names it in the error.
    pub fn parse(file: &str, text: &str) -> Result<Prices, String> {
        toml::from_str(text).map_err(|e| format!("{file}: {e}"))
    }

    /// Dollars for one answer's tokens; `None` when the model has no price.
    pub fn cost(&self, model: &str, input_tokens: u64, output_tokens: u64) -> Option<f64> {
        let p = self.model.get(model)?;
        Some((input_tokens as f64 * p.input + output_tokens as f64 * p.output) / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_parses_and_prices_tokens() {
        let p = Prices::parse("prices.toml", DEFAULT_PRICES).expect("parses");
        assert_eq!(p.cost("local", 1_000, 1_000), Some(0.0));
        let haiku = p.cost("claude-haiku-4-5", 1_000_000, 0).expect("priced");
        assert!(haiku > 0.0);
        assert_eq!(p.cost("no-such-model", 10, 10), None);
        assert!(Prices::parse("x.toml", "[model.x]\ninput = \"free\"").is_err());
    }
}
