//! The production backends written in `worker/wrangler.toml` are valid typed [`Backend`]s: a misspelt
//! option there fails here, not in a deployed worker's first request.

use twin_upstream::{Backend, Provider};

#[test]
fn the_shipped_backends_parse() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../worker/wrangler.toml");
    let text = std::fs::read_to_string(path).expect("worker/wrangler.toml");
    let config: toml::Table = toml::from_str(&text).expect("wrangler.toml is TOML");
    let json = config["vars"]["BACKENDS"]
        .as_str()
        .expect("vars.BACKENDS is a string");
    let backends: Vec<Backend> = serde_json::from_str(json).expect("BACKENDS");
    let ids: Vec<(&str, Provider)> = backends
        .iter()
        .map(|b| (b.id.as_str(), b.provider))
        .collect();
    assert_eq!(
        ids,
        [("rag", Provider::Anthropic), ("tuned", Provider::Openai)]
    );
    assert!(backends[0].retrieval && backends[1].cold_start);
}
