//! The three probes as a reader sees them in the demo, with the real local models of `scripts/demo.sh`
//! (SmolLM2-135M with retrieval in the `rag` pane, Gemma 3 270M with the committed LoRA in the `tuned`
//! pane; no stand-in), in headless Chromium. Each probe is clicked in a new conversation, both panes must
//! finish with an answer that leaks no prompt markup or template token, the retrieval pane must link the
//! post the probe is about, and each is saved as `build/screenshots/probe-<id>.png` (copies are in
//! `docs/screenshots/`, shown in the README). A pane whose tiny model ends without a word gets "Try
//! again", as a reader would, at most twice. Needs the widget built (`scripts/build-widget.sh`).

mod common;

use chromiumoxide::Page;
use common::{ROOT, eval, open, read, wait_for};
use std::path::PathBuf;
use std::time::Duration;
use twin_e2e::Stack;
use twin_local::Model;
use twin_local::demo::{Demo, DemoOptions};

struct Ctx {
    demo: Demo,
    page: Page,
    shots: PathBuf,
}

/// What each pane showed for one probe.
struct Shown {
    answer: String,
    sources: Vec<String>,
}

async fn pane(page: &Page, backend: &str) -> Shown {
    let v = read(
        page,
        &format!(
            "(() => {{ const p = {ROOT}.querySelector('.pane[data-backend={backend}]');
               return {{ answer: p.querySelector('.a') ? p.querySelector('.a').textContent : null,
                         sources: [...p.querySelectorAll('.sources a')].map(a => a.href) }}; }})()"
        ),
    )
    .await;
    let Some(answer) = v["answer"].as_str() else {
        panic!("the {backend} pane shows no answer element: {v}");
    };
    Shown {
        answer: answer.to_string(),
        sources: v["sources"]
            .as_array()
            .unwrap_or_else(|| panic!("the {backend} pane's sources are a list: {v}"))
            .iter()
            .map(|s| s.as_str().expect("a link").to_string())
            .collect(),
    }
}

/// Clicks probe `id` in a new conversation, waits for both panes, checks them and saves the screenshot.
/// `rag_links` is a piece of the URL the retrieval pane must link, when the probe is about a post.
async fn probe(ctx: &Ctx, id: &str, rag_links: Option<&'static str>) {
    let page = &ctx.page;
    eval(page, &format!("{ROOT}.querySelector('button.new').click()")).await;
    wait_for(
        page,
        &format!("{ROOT}.querySelectorAll('.pane .a').length === 0"),
        Duration::from_secs(5),
        "a new conversation",
    )
    .await;
    eval(
        page,
        &format!("{ROOT}.querySelector('.probe[data-probe={id}]').click()"),
    )
    .await;
    for backend in ["rag", "tuned"] {
        // A tiny model sometimes ends its turn before saying anything (`empty_answer`): the reader gets
        // "Try again", and so does this test, at most twice.
        common::answer_finished(page, backend, 2, Duration::from_secs(180)).await;
        let shown = pane(page, backend).await;
        println!("  {id} · {backend}: {:?}", shown.answer.trim());
        if !shown.sources.is_empty() {
            println!("  {id} · {backend} sources: {:?}", shown.sources);
        }
        assert!(
            !shown.answer.trim().is_empty(),
            "the {backend} pane finished the {id} probe with no text"
        );
        let leaks = twin_eval::score::leaks::leaks(&shown.answer);
        assert!(
            leaks.is_empty(),
            "the {backend} pane shows prompt markup {leaks:?}: {}",
            shown.answer
        );
        if backend == "rag" {
            let Some(rag_links) = rag_links else { continue };
            assert!(
                shown.sources.iter().any(|s| s.contains(rag_links)),
                "the retrieval pane does not link {rag_links} for the {id} probe: {:?}",
                shown.sources
            );
        } else {
            assert!(
                shown.sources.is_empty(),
                "the fine-tuned pane has no retrieval, yet shows sources {:?}",
                shown.sources
            );
        }
    }
    let errors = eval(
        page,
        &format!("{ROOT}.querySelectorAll('.pane .error').length"),
    )
    .await;
    assert_eq!(errors.as_u64(), Some(0), "a pane shows an error");
    common::screenshot(page, &ctx.shots, &format!("probe-{id}.png")).await;
}

fn main() {
    let root = Stack::root();
    if !root.join("dist/widget/post.html").is_file() {
        common::setup_failed("the widget is not built: run scripts/build-widget.sh");
    }
    let lora = root.join("finetune/adapter/twin-lora.gguf");
    if !lora.is_file() {
        common::setup_failed(format!(
            "the committed adapter is missing: {}",
            lora.display()
        ));
    }
    let shots = root.join("build/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshots dir");
    // What `scripts/demo.sh` starts on a machine without API keys.
    let opts = DemoOptions {
        gpu_model: Some(Model::Gemma270m),
        gpu_lora: Some(lora),
        ..Default::default()
    };
    let setup: common::harness::Setup<Ctx> = Box::new(move |page| {
        let demo = common::start_demo(&root, &opts)?;
        for line in &demo.answering {
            println!("  {line}");
        }
        Ok(Ctx { demo, page, shots })
    });
    common::harness::run(
        setup,
        vec![
            check!(probe_knowledge),
            check!(probe_thin),
            check!(probe_voice),
        ],
    );
}

async fn probe_knowledge(ctx: &Ctx) {
    open(&ctx.page, &ctx.demo.page_url).await;
    probe(ctx, "knowledge", Some("/posts/driftwood-salt-air/")).await;
}

async fn probe_thin(ctx: &Ctx) {
    open(&ctx.page, &ctx.demo.page_url).await;
    let links = "linkedin.com/feed/update/urn:li:share:7051234568000989";
    probe(ctx, "thin", Some(links)).await;
}

async fn probe_voice(ctx: &Ctx) {
    open(&ctx.page, &ctx.demo.page_url).await;
    probe(ctx, "voice", None).await;
}
