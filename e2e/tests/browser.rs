//! Browser end-to-end tests: headless Chromium (driven over CDP by chromiumoxide) on the demo blog page,
//! against the running demo stack (a real local model for `rag`, the stand-in playing a slow-waking GPU
//! for `tuned`, the worker under wrangler dev). Needs the widget built (`scripts/build-widget.sh`).
//!
//! One stack and one browser for every check, started by the first check that runs
//! (`common/harness.rs`, under `libtest-mimic`: `-- NAME_FILTER`, `-- --list`). Saves screenshots under
//! `build/screenshots/`.

mod common;

use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::browser_protocol::input::{
    DispatchKeyEventParams, DispatchKeyEventType, InsertTextParams,
};
use common::{ROOT, eval, num, open, read, text, wait_for};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use twin_e2e::Stack;
use twin_local::demo::{Demo, DemoOptions};
use twin_local::worker_stack::STAND_IN;
use twin_upstream::{Backend, Provider};

struct Ctx {
    demo: Demo,
    page: Page,
    shots: PathBuf,
}

async fn screenshot(ctx: &Ctx, name: &str) {
    common::screenshot(&ctx.page, &ctx.shots, name).await;
}

/// Types `value` (a JavaScript expression) into the widget's input as a reader would, then presses Enter.
async fn type_and_enter(page: &Page, value: &str) {
    eval(page, &format!("(() => {{ const t = {ROOT}.querySelector('#twin-input'); t.focus(); t.value = {value};
        t.dispatchEvent(new Event('input', {{bubbles: true}}));
        t.dispatchEvent(new KeyboardEvent('keydown', {{key: 'Enter', bubbles: true, cancelable: true}})); }})()")).await;
}

/// JS: the retrieval pane's turns.
fn rag_turns() -> String {
    format!("{ROOT}.querySelectorAll('.pane[data-backend=rag] .turn')")
}

/// Asks `question` (a JavaScript expression) in the retrieval pane and waits until its new turn shows
/// `selector`; returns the JS expression for that turn.
async fn ask_rag_until(page: &Page, question: &str, selector: &str, what: &str) -> String {
    let turns = rag_turns();
    let before = read(page, &format!("{turns}.length"))
        .await
        .as_u64()
        .expect("a count");
    type_and_enter(page, question).await;
    let last = format!("{turns}[{before}]");
    wait_for(
        page,
        &format!("!!{last} && !!{last}.querySelector('{selector}')"),
        // The local model's whole answer (up to its token limit), on a busy 2-core machine.
        Duration::from_secs(60),
        what,
    )
    .await;
    last
}

async fn loads_with_two_panes_and_probes(ctx: &Ctx) {
    let page = &ctx.page;
    let start = Instant::now();
    open(page, &ctx.demo.page_url).await;
    let interactive = read(page, "performance.now()").await;
    println!(
        "  page load to interactive (panes and probes shown): {:.0} ms (navigation to ready {} ms)",
        interactive.as_f64().expect("a time"),
        start.elapsed().as_millis()
    );
    let v = read(
        page,
        &format!(
            "(() => {{ const r = {ROOT}; return {{
        panes: [...r.querySelectorAll('.pane h3')].map(h => h.textContent),
        subs: [...r.querySelectorAll('.pane .sub')].map(h => h.textContent),
        probes: [...r.querySelectorAll('.probe')].map(b => b.dataset.probe),
        title: r.querySelector('.title').textContent,
        models: r.querySelector('.models') ? r.querySelector('.models').textContent : '',
        log: [...r.querySelectorAll('[role=log]')].length,
        label: r.querySelector('label[for=twin-input]').textContent }}; }})()"
        ),
    )
    .await;
    assert_eq!(
        v["panes"],
        json!(["Retrieval + Haiku", "Fine-tuned Gemma"]),
        "{v}"
    );
    assert_eq!(v["probes"], json!(["knowledge", "thin", "voice"]), "{v}");
    assert_eq!(v["title"], "Pick a probe below, or type one of your own.");
    assert!(
        text(&v, "models").contains("Answering:"),
        "the page says which models answer: {v}"
    );
    assert_eq!(v["log"], 2, "each pane is a polite live log");
    assert_eq!(v["label"], "Your question");
}

async fn blog_css_does_not_reach_the_widget(ctx: &Ctx) {
    let v = read(
        &ctx.page,
        &format!(
            "(() => {{ const b = {ROOT}.querySelector('.probe'); const s = getComputedStyle(b);
        return {{ bg: s.backgroundColor, font: s.fontFamily }}; }})()"
        ),
    )
    .await;
    assert_ne!(
        v["bg"], "rgb(255, 105, 180)",
        "the blog's hotpink buttons stay out: {v}"
    );
    assert!(!text(&v, "font").contains("Comic"), "{v}");
}

async fn knowledge_probe_streams_into_both_panes(ctx: &Ctx) {
    let page = &ctx.page;
    eval(
        page,
        &format!("{ROOT}.querySelector('.probe[data-probe=knowledge]').click()"),
    )
    .await;
    // The GPU pane shows its waking status while the stand-in plays a cold start.
    wait_for(page, &format!("(() => {{ const s = {ROOT}.querySelector('.pane[data-backend=tuned] .status'); return !!s && s.textContent.includes('Waking'); }})()"), Duration::from_secs(20), "the waking status").await;
    wait_for(
        page,
        &format!("{ROOT}.querySelectorAll('.pane[data-backend=rag] .sources a').length > 0"),
        Duration::from_secs(30),
        "sources",
    )
    .await;
    let hrefs = eval(
        page,
        &format!(
            "[...{ROOT}.querySelectorAll('.pane[data-backend=rag] .sources a')].map(a => a.href)"
        ),
    )
    .await;
    assert!(
        hrefs.as_array().expect("hrefs").iter().any(|h| h
            .as_str()
            .is_some_and(|h| h.contains("/posts/driftwood-salt-air/"))),
        "{hrefs}"
    );
    for pane in ["rag", "tuned"] {
        // The local SmolLM2 may end without a word (`empty_answer`); a reader would try again.
        common::answer_finished(page, pane, 2, Duration::from_secs(90)).await;
        wait_for(page, &format!("(() => {{ const p = {ROOT}.querySelector('.pane[data-backend={pane}]'); return p.querySelector('.a').textContent.trim().length > 0 && !!p.querySelector('.copy'); }})()"), Duration::from_secs(5), &format!("the {pane} answer")).await;
    }
    let tuned = read(
        page,
        &format!("{ROOT}.querySelector('.pane[data-backend=tuned] .a').textContent"),
    )
    .await;
    assert!(
        tuned.as_str().is_some_and(|t| t.contains("stand-in")),
        "{tuned}"
    );
    screenshot(ctx, "demo-exchange.png").await;
}

/// A probe clicked again is answered from the worker's probe cache: the GPU pane says "answered
/// earlier", and "ask live" replaces that answer with a live one. Loading the page and clicking probes
/// never calls `/api/warm`; putting the cursor in the question box does.
async fn a_probe_clicked_again_comes_from_the_cache_and_can_be_asked_live(ctx: &Ctx) {
    let page = &ctx.page;
    // Every URL the page fetches, recorded before any script of the page runs.
    page.evaluate_on_new_document(
        "window.__fetched = []; const realFetch = window.fetch; window.fetch = function (input, init) { window.__fetched.push(String(input && input.url || input)); return realFetch.call(this, input, init); };",
    )
    .await
    .expect("the fetch recorder");
    open(page, &ctx.demo.page_url).await;
    let warm_calls = "window.__fetched.filter(u => u.endsWith('/api/warm')).length";
    assert_eq!(
        read(
            page,
            "window.__fetched.some(u => u.endsWith('/api/config'))"
        )
        .await,
        Value::Bool(true),
        "the recorder sees the widget's requests"
    );
    let rag_last = format!("[...{ROOT}.querySelectorAll('.pane[data-backend=rag] .turn')].at(-1)");
    let pane = format!("{ROOT}.querySelector('.pane[data-backend=tuned]')");
    let turns = format!("{pane}.querySelectorAll('.turn')");
    let last = format!("[...{turns}].at(-1)");
    let click = format!("{ROOT}.querySelector('.probe[data-probe=voice]').click()");
    // The first answer is written to the cache after its stream ends: click until one comes from it.
    let mut cached = false;
    for attempt in 1..=5 {
        eval(page, &click).await;
        wait_for(
            page,
            &format!("{turns}.length === {attempt} && (!!{last}.querySelector('.copy') || !!{last}.querySelector('.error'))"),
            Duration::from_secs(60),
            "the GPU pane's probe answer",
        )
        .await;
        // The retrieval pane's newest answer too, so the next click stops nothing.
        wait_for(
            page,
            &format!("{ROOT}.querySelectorAll('.pane[data-backend=rag] .turn').length === {attempt} && (!!{rag_last}.querySelector('.copy') || !!{rag_last}.querySelector('.error'))"),
            Duration::from_secs(90),
            "the retrieval pane's probe answer",
        )
        .await;
        if read(page, &format!("!!{last}.querySelector('.cached')")).await == Value::Bool(true) {
            cached = true;
            break;
        }
    }
    assert!(cached, "the probe was never answered from the cache");
    let v = read(page, &format!("({{label: {last}.querySelector('.cached').textContent, text: {last}.querySelector('.a').textContent, n: {turns}.length}})")).await;
    assert_eq!(text(&v, "label"), "answered earlier · ask live", "{v}");
    assert!(text(&v, "text").contains("stand-in"), "{v}");
    let n = num(&v, "n");
    screenshot(ctx, "probe-cached.png").await;
    eval(
        page,
        &format!("{last}.querySelector('.cached .live').click()"),
    )
    .await;
    wait_for(
        page,
        &format!("{turns}.length === {n} && !{last}.querySelector('.cached') && !!{last}.querySelector('.copy')"),
        Duration::from_secs(60),
        "the live answer in place of the cached one",
    )
    .await;
    let live = read(page, &format!("{last}.querySelector('.a').textContent")).await;
    assert!(
        live.as_str().is_some_and(|t| t.contains("stand-in")),
        "{live}"
    );
    assert_eq!(
        read(page, warm_calls).await,
        json!(0),
        "loading and probes must not wake the GPU"
    );
    eval(
        page,
        &format!("{ROOT}.querySelector('#twin-input').focus()"),
    )
    .await;
    wait_for(
        page,
        &format!("{warm_calls} === 1"),
        Duration::from_secs(10),
        "one /api/warm once the reader is in the question box",
    )
    .await;
}

async fn keyboard_enter_sends_and_escape_stops(ctx: &Ctx) {
    let page = &ctx.page;
    let before = read(
        page,
        &format!("{ROOT}.querySelectorAll('.pane[data-backend=rag] .turn').length"),
    )
    .await
    .as_u64()
    .expect("a count");
    type_and_enter(page, "'Tea or coffee?'").await;
    wait_for(
        page,
        &format!(
            "{ROOT}.querySelectorAll('.pane[data-backend=rag] .turn').length === {}",
            before + 1
        ),
        Duration::from_secs(5),
        "Enter to send",
    )
    .await;
    wait_for(
        page,
        &format!("!!{ROOT}.querySelector('button.stop')"),
        Duration::from_secs(5),
        "the stop button while streaming",
    )
    .await;
    eval(page, &format!("{ROOT}.querySelector('#twin-input').dispatchEvent(new KeyboardEvent('keydown', {{key: 'Escape', bubbles: true}}))")).await;
    wait_for(
        page,
        &format!(
            "!{ROOT}.querySelector('button.stop') && {ROOT}.querySelectorAll('.note').length > 0"
        ),
        Duration::from_secs(5),
        "Escape to stop",
    )
    .await;
}

/// A question the blog never covers: the retrieval pane says so instead of showing stray sources; a
/// covered one (the knowledge probe, asked earlier) carries no such note.
async fn an_uncovered_question_says_so(ctx: &Ctx) {
    let page = &ctx.page;
    let first_note = read(
        page,
        &format!("{}[0].querySelectorAll('.coverage').length", rag_turns()),
    )
    .await;
    assert_eq!(
        first_note.as_u64(),
        Some(0),
        "a covered question (the knowledge probe's turn) has no note"
    );
    let question = "'Which football team do you support?'";
    let last = ask_rag_until(page, question, ".coverage", "the not-covered note").await;
    let v = read(page, &format!("({{note: {last}.querySelector('.coverage').textContent, role: {last}.querySelector('.coverage').getAttribute('role'), sources: {last}.querySelectorAll('.sources a').length}})")).await;
    assert_eq!(
        v["note"].as_str(),
        Some("Not something I've written about"),
        "{v}"
    );
    assert_eq!(v["role"].as_str(), Some("note"), "{v}");
    assert_eq!(v["sources"].as_u64(), Some(0), "{v}");
    screenshot(ctx, "not-covered.png").await;
}

/// A question over the worker's limit is refused as one that cannot pass: the pane says what to do and
/// offers no "Try again" (the worker's own message shows it came from the worker's check).
async fn an_overlong_question_says_to_shorten_it(ctx: &Ctx) {
    let page = &ctx.page;
    let last = ask_rag_until(page, "'why '.repeat(501)", ".error", "the refusal").await;
    let v = read(page, &format!("({{text: {last}.querySelector('.error').textContent, retry: {last}.querySelectorAll('button.retry').length}})")).await;
    let shown = text(&v, "text");
    assert!(
        shown.contains("2003 characters") && shown.contains("Shorten your question."),
        "{v}"
    );
    assert_eq!(v["retry"].as_u64(), Some(0), "no Try again: {v}");
}

/// The rows of `sql` in the demo worker's local D1 database.
fn demo_d1(sql: &str) -> Vec<Value> {
    let db = twin_traces::D1::new(
        &Stack::root().join("worker"),
        twin_traces::Location::Local {
            persist_to: Some(Stack::root().join("build/logs/demo/wrangler.state")),
        },
    );
    db.query(sql).unwrap_or_else(|e| panic!("{e}"))
}

/// Presses Enter as a keyboard does (a trusted key event through CDP, which activates a focused button
/// or submits a form; a script-made event would not).
async fn press_enter(page: &Page) {
    for kind in [DispatchKeyEventType::KeyDown, DispatchKeyEventType::KeyUp] {
        let mut key = DispatchKeyEventParams::builder()
            .r#type(kind.clone())
            .key("Enter")
            .code("Enter")
            .windows_virtual_key_code(13);
        if kind == DispatchKeyEventType::KeyDown {
            key = key.text("\r");
        }
        page.execute(key.build().expect("a key event"))
            .await
            .expect("press Enter");
    }
}

/// Types `text` into the focused element as a keyboard does.
async fn type_text(page: &Page, text: &str) {
    page.execute(InsertTextParams::new(text))
        .await
        .expect("type");
}

/// The focused element inside the widget, described.
async fn focused(page: &Page) -> String {
    read(page, &format!("(() => {{ const a = {ROOT}.activeElement; return a ? a.tagName + ':' + (a.getAttribute('aria-label') || a.textContent.trim()) : 'none'; }})()"))
        .await
        .as_str()
        .unwrap_or_else(|| panic!("no focus description"))
        .to_string()
}

/// Under a finished answer, from the keyboard alone: a thumbs-down opens an optional comment that takes
/// the focus and gives it back, and a report sends the conversation; each is announced and reaches the
/// author's D1 tables, joined to the answer's trace, the twin's answer marked as signed.
async fn thumbs_down_and_a_jailbreak_report_reach_the_author(ctx: &Ctx) {
    let page = &ctx.page;
    // A fresh page and a turn of its own: the check does not lean on an earlier one.
    open(page, &ctx.demo.page_url).await;
    let turn = ask_rag_until(
        page,
        "'How did you keep the salt air out of Driftwood?'",
        ".feedback button[aria-label=\"Bad answer\"]",
        "feedback buttons under the finished answer",
    )
    .await;
    let v = read(page, &format!("({{question: {turn}.querySelector('.q').textContent, tags: [...{turn}.querySelectorAll('.feedback button')].map(b => b.tagName + ':' + (b.getAttribute('aria-label') || b.textContent))}})")).await;
    let question = text(&v, "question").to_string();
    assert_eq!(
        v["tags"],
        json!([
            "BUTTON:Good answer",
            "BUTTON:Bad answer",
            "BUTTON:Report a jailbreak"
        ]),
        "buttons with names: {v}"
    );
    let mark = format!("FEEDBACKUI{}", std::process::id());
    eval(
        page,
        &format!("{turn}.querySelector('.feedback button[aria-label=\"Bad answer\"]').focus()"),
    )
    .await;
    press_enter(page).await;
    wait_for(
        page,
        &format!("!!{turn}.querySelector('.fb-form input') && {turn}.querySelector('button[aria-label=\"Bad answer\"]').getAttribute('aria-pressed') === 'true' && {ROOT}.activeElement === {turn}.querySelector('.fb-form input')"),
        Duration::from_secs(10),
        "the thumbs-down stored and the focus in its comment box",
    )
    .await;
    type_text(page, &format!("Wrong year {mark}")).await;
    press_enter(page).await;
    wait_for(
        page,
        &format!("({turn}.querySelector('.fb-note') || {{}}).textContent === 'Thanks: your comment was sent.' && !{turn}.querySelector('.fb-form')"),
        Duration::from_secs(10),
        "the comment acknowledged",
    )
    .await;
    assert_eq!(
        focused(page).await,
        "BUTTON:Bad answer",
        "the focus comes back"
    );
    eval(page, &format!("[...{turn}.querySelectorAll('.feedback button')].find(b => b.textContent === 'Report a jailbreak').focus()")).await;
    press_enter(page).await;
    wait_for(
        page,
        &format!("{ROOT}.activeElement === {turn}.querySelector('.fb-form input')"),
        Duration::from_secs(10),
        "the report form, focused",
    )
    .await;
    type_text(page, &format!("It obeyed {mark}")).await;
    press_enter(page).await;
    wait_for(
        page,
        &format!("({turn}.querySelector('.fb-note') || {{}}).textContent.startsWith('Reported')"),
        Duration::from_secs(10),
        "the report acknowledged",
    )
    .await;
    assert_eq!(
        focused(page).await,
        "BUTTON:Reported",
        "the focus stays on the report button"
    );
    let note = read(page, &format!("({{role: {turn}.querySelector('.fb-note').getAttribute('role'), expanded: [...{turn}.querySelectorAll('.feedback button')].find(b => b.classList.contains('report')).getAttribute('aria-expanded')}})")).await;
    assert_eq!(
        note,
        json!({"role": "status", "expanded": "false"}),
        "announced"
    );
    screenshot(ctx, "feedback.png").await;
    let verdict = demo_d1(&format!(
        "SELECT f.kind, f.comment, t.question FROM feedback f JOIN traces t ON t.trace_id = f.trace_id WHERE f.comment LIKE '%Wrong year {mark}%'"
    ));
    assert_eq!(verdict.len(), 1, "{verdict:?}");
    assert_eq!(verdict[0]["kind"], "down", "{verdict:?}");
    assert_eq!(
        verdict[0]["question"],
        question.as_str(),
        "joined to the answer's trace: {verdict:?}"
    );
    let report = demo_d1(&format!(
        "SELECT kind, conversation FROM feedback WHERE comment LIKE '%It obeyed {mark}%'"
    ));
    assert_eq!(report.len(), 1, "{report:?}");
    assert_eq!(report[0]["kind"], "jailbreak", "{report:?}");
    let conversation: Value = serde_json::from_str(
        report[0]["conversation"]
            .as_str()
            .expect("the conversation"),
    )
    .expect("JSON");
    let last = conversation
        .as_array()
        .and_then(|m| m.len().checked_sub(2))
        .expect("a question and its answer");
    assert_eq!(conversation[last]["role"], "user", "{conversation}");
    assert_eq!(
        conversation[last]["content"],
        question.as_str(),
        "{conversation}"
    );
    assert_eq!(
        conversation[last + 1]["role"],
        "assistant",
        "{conversation}"
    );
    assert_eq!(
        conversation[last + 1]["signed"],
        true,
        "the twin's own answer: {conversation}"
    );
}

/// After a 600-word answer (over the 2,000 characters a reader's message may have), follow-ups in the
/// same pane still work, and the widget sends the earlier answers back signed, so the model gets them.
async fn follow_ups_after_a_long_answer_work(ctx: &Ctx) {
    let page = &ctx.page;
    open(page, &ctx.demo.page_url.replace("post.html", "long.html")).await;
    let pane = format!("{ROOT}.querySelector('.pane[data-backend=long]')");
    let mark = format!("LONGFOLLOW{}", std::process::id());
    let questions = [
        "Tell me everything about the shed.".to_string(),
        "And then what happened?".to_string(),
        format!("Why? {mark}"),
    ];
    for (i, q) in questions.iter().enumerate() {
        type_and_enter(page, &format!("'{q}'")).await;
        let turn = format!("{pane}.querySelectorAll('.turn')[{i}]");
        wait_for(
            page,
            &format!(
                "!!{turn} && (!!{turn}.querySelector('.copy') || !!{turn}.querySelector('.error'))"
            ),
            Duration::from_secs(30),
            &format!("answer {}", i + 1),
        )
        .await;
        let v = read(page, &format!("({{error: {turn}.querySelector('.error') ? {turn}.querySelector('.error').textContent : '', words: {turn}.querySelector('.a').textContent.split(/\\s+/).length}})")).await;
        assert_eq!(v["error"].as_str(), Some(""), "turn {}: {v}", i + 1);
        let words = num(&v, "words");
        assert!(words >= 600.0, "turn {}: {words} words", i + 1);
    }
    let sent = ctx
        .demo
        .stand_in
        .received()
        .into_iter()
        .rev()
        .find(|b| b.to_string().contains(&mark))
        .expect("the stand-in got the third question");
    let answers: Vec<&str> = sent["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["role"] == "assistant")
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(
        answers
            .last()
            .is_some_and(|a| a.starts_with("Long w1 w2") && a.len() > 2_000),
        "the previous answer reached the model as history: {answers:?}"
    );
}

async fn error_shows_a_message_and_retry_works(ctx: &Ctx) {
    let page = &ctx.page;
    open(page, &ctx.demo.page_url.replace("post.html", "flaky.html")).await;
    eval(
        page,
        &format!("{ROOT}.querySelector('.probe[data-probe=voice]').click()"),
    )
    .await;
    wait_for(
        page,
        &format!("!!{ROOT}.querySelector('.pane[data-backend=flaky] .error button.retry')"),
        Duration::from_secs(20),
        "the error with a retry button",
    )
    .await;
    let msg = read(
        page,
        &format!("{ROOT}.querySelector('.pane[data-backend=flaky] .error').textContent"),
    )
    .await;
    assert!(
        msg.as_str().is_some_and(|m| m.contains("HTTP 503")),
        "{msg}"
    );
    tokio::time::sleep(Duration::from_millis(5500)).await;
    eval(
        page,
        &format!("{ROOT}.querySelector('.pane[data-backend=flaky] .error button.retry').click()"),
    )
    .await;
    wait_for(
        page,
        &format!(
            "{ROOT}.querySelector('.pane[data-backend=flaky] .a').textContent.includes('stand-in')"
        ),
        Duration::from_secs(20),
        "the retried answer",
    )
    .await;
    assert_eq!(
        eval(
            page,
            &format!("{ROOT}.querySelectorAll('.pane[data-backend=flaky] .error').length")
        )
        .await,
        0
    );
}

/// A stream cut mid-answer keeps the text that arrived and offers "Try again"; a 429 with
/// `retry-after` says when to ask again; and the page stays usable: the next question is answered into
/// both panes again.
async fn a_cut_stream_keeps_its_text_and_a_rate_limit_says_when(ctx: &Ctx) {
    let page = &ctx.page;
    open(
        page,
        &ctx.demo.page_url.replace("post.html", "resilience.html"),
    )
    .await;
    let pane = |id: &str| format!("{ROOT}.querySelector('.pane[data-backend={id}]')");
    for round in 1..=2 {
        type_and_enter(page, &format!("'Are you there? ({round})'")).await;
        for id in ["cut", "busy"] {
            wait_for(
                page,
                &format!("{}.querySelectorAll('.turn').length === {round} && !!{}.querySelectorAll('.turn')[{}].querySelector('.error')", pane(id), pane(id), round - 1),
                Duration::from_secs(30),
                &format!("{id}: the error of question {round}"),
            )
            .await;
        }
        let turn = |id: &str| format!("{}.querySelectorAll('.turn')[{}]", pane(id), round - 1);
        let v = read(
            page,
            &format!(
                "({{cut: {c}.querySelector('.a').textContent, cutError: {c}.querySelector('.error').textContent, retry: !!{c}.querySelector('.error button.retry'), busy: {b}.querySelector('.error').textContent}})",
                c = turn("cut"),
                b = turn("busy")
            ),
        )
        .await;
        assert!(
            text(&v, "cut").split_whitespace().count() >= 2,
            "the text that arrived before the cut is kept: {v}"
        );
        assert!(
            v["retry"].as_bool() == Some(true),
            "a cut answer can be asked again: {v}"
        );
        assert!(
            text(&v, "busy").contains("Try again in 30 seconds"),
            "the 429's retry-after is told: {v}"
        );
    }
    screenshot(ctx, "resilience").await;
}

async fn narrow_window_stacks_the_panes(ctx: &Ctx) {
    let page = &ctx.page;
    page.execute(SetDeviceMetricsOverrideParams::new(600, 1000, 1.0, false))
        .await
        .expect("viewport");
    open(page, &ctx.demo.page_url).await;
    let v = read(page, &format!("(() => {{ const p = [...{ROOT}.querySelectorAll('.pane')].map(e => e.getBoundingClientRect());
        return {{ firstBottom: p[0].bottom, secondTop: p[1].top, firstLeft: p[0].left, secondLeft: p[1].left }}; }})()")).await;
    assert!(
        num(&v, "secondTop") >= num(&v, "firstBottom"),
        "stacked below 700 px: {v}"
    );
    assert_eq!(num(&v, "firstLeft"), num(&v, "secondLeft"), "{v}");
    screenshot(ctx, "demo-narrow.png").await;
    page.execute(SetDeviceMetricsOverrideParams::new(1280, 1000, 1.0, false))
        .await
        .expect("viewport");
}

/// An eval report, as `twin eval` writes it, for two known answerers over the real eval sets: one that
/// states each answerable question's facts and declines the rest, one that answers like a generic
/// assistant. Scored by the real scorers; written as `report.html` beside the demo page.
fn write_eval_report(into: &Path) -> Result<(), String> {
    use twin_eval::corpus::Corpus;
    use twin_eval::items::{DEFAULT_SETS, Expect, items, select};
    use twin_eval::run::{BackendMeta, Meta};
    use twin_eval::trace::{FORMAT_VERSION, Trace};
    let content = Stack::root().join("content");
    let corpus = Corpus::load(&content)?;
    let eval = twin_shared::EvalSet::read(&content.join("eval")).map_err(|e| e.to_string())?;
    let probes_text =
        std::fs::read_to_string(content.join("probes.toml")).map_err(|e| e.to_string())?;
    let probes =
        twin_shared::Probes::from_toml("probes.toml", &probes_text).map_err(|e| e.to_string())?;
    let sets: Vec<String> = DEFAULT_SETS.iter().map(|s| s.to_string()).collect();
    let chosen = select(items(&eval, &probes.probe, &sets)?, Some(4), Some(11));
    let answer = |backend: &str, expect: &Expect| match (backend, expect) {
        ("generic", _) => {
            "Great question! It depends on your needs. I hope this helps!".to_string()
        }
        (_, Expect::Answerable { facts, .. }) => {
            format!("From my notes: {}.", facts.join(", and "))
        }
        _ => "I haven't written about that, so I won't guess.".to_string(),
    };
    let mut traces = std::collections::BTreeMap::new();
    for (i, backend) in ["grounded", "generic"].iter().enumerate() {
        let t: Vec<Trace> = chosen
            .iter()
            .map(|item| Trace {
                backend: backend.to_string(),
                set: item.set.clone(),
                id: item.id.clone(),
                repeat: 0,
                question: item.question.clone(),
                probe: item.probe.clone(),
                style: item.style.clone(),
                expect: item.expect.clone(),
                http_status: 200,
                answer: answer(backend, &item.expect),
                sources: Vec::new(),
                source_slugs: Vec::new(),
                statuses: Vec::new(),
                error: None,
                stop_reason: Some("end_turn".into()),
                ttft_ms: Some(100 * (i as u64 + 1)),
                total_ms: 900 * (i as u64 + 1),
                input_tokens: Some(400),
                output_tokens: Some(80),
                coverage: None,
                waited_s: 0,
                fingerprint: None,
            })
            .collect();
        traces.insert(backend.to_string(), t);
    }
    let meta = Meta {
        version: FORMAT_VERSION,
        endpoint: "http://127.0.0.1".into(),
        backends: ["grounded", "generic"]
            .iter()
            .map(|b| BackendMeta {
                id: b.to_string(),
                label: format!("The {b} answerer"),
                retrieval: false,
                model: Some("local".into()),
                fingerprint: None,
            })
            .collect(),
    };
    let prices =
        twin_eval::prices::Prices::parse("prices.toml", twin_eval::prices::DEFAULT_PRICES)?;
    let (summary, scores) = twin_eval::summary::summarise_run(&meta, &traces, &corpus, &prices);
    std::fs::write(
        into.join("report.html"),
        twin_eval::report_html::html(&summary, &scores),
    )
    .map_err(|e| e.to_string())
}

/// The eval report opens as one self-contained page: the score table, four plots that render with a
/// size, the probes side by side, and nothing fetched from elsewhere.
async fn eval_report_renders_its_plots(ctx: &Ctx) {
    let page = &ctx.page;
    page.goto(ctx.demo.page_url.replace("post.html", "report.html"))
        .await
        .expect("navigate");
    wait_for(
        page,
        "document.querySelectorAll('svg').length === 4",
        Duration::from_secs(10),
        "the report's plots",
    )
    .await;
    let v = read(page, "({sizes: [...document.querySelectorAll('svg')].map(s => { const r = s.getBoundingClientRect(); return [r.width, r.height]; }),
        marks: [...document.querySelectorAll('svg')].map(s => s.querySelectorAll('.mark').length),
        rows: document.querySelectorAll('tbody tr').length,
        answers: document.querySelectorAll('.probe .answer').length,
        external: [...document.querySelectorAll('[src], link[href]')].length,
        points: [...document.querySelectorAll('svg')[0].querySelectorAll('text')].map(t => t.textContent)})").await;
    let sizes = v["sizes"].as_array().expect("sizes");
    assert_eq!(sizes.len(), 4, "{v}");
    for s in sizes {
        assert!(
            s[0].as_f64().is_some_and(|w| w > 200.0) && s[1].as_f64().is_some_and(|h| h > 100.0),
            "{v}"
        );
    }
    // The data drawn: two points, a tick per answer, three latency bars and one cost bar per backend.
    let marks: Vec<u64> = v["marks"]
        .as_array()
        .expect("marks")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    assert_eq!(marks.len(), 4, "{v}");
    assert_eq!((marks[0], marks[2], marks[3]), (2, 6, 2), "{v}");
    assert!(marks[1] >= 10, "a voice tick per answer: {v}");
    assert!(num(&v, "rows") >= 10.0, "{v}");
    assert!(num(&v, "answers") >= 2.0, "the probes side by side: {v}");
    assert_eq!(v["external"].as_u64(), Some(0), "self-contained: {v}");
    let labels = v["points"].as_array().expect("labels");
    assert!(
        labels.iter().any(|t| t == "grounded") && labels.iter().any(|t| t == "generic"),
        "both backends are points on the knowledge plot: {v}"
    );
    screenshot(ctx, "eval-report.png").await;
}

/// The widget on a page with a strict Content Security Policy (no inline scripts or styles, requests
/// to the worker only): it loads styled, answers, and causes no violation, while a style the policy does
/// not name is refused on the same page (so the policy is in force).
async fn the_widget_works_under_a_strict_csp(ctx: &Ctx) {
    let page = &ctx.page;
    page.evaluate_on_new_document(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')), true);",
    )
    .await
    .expect("the violation recorder");
    let url = ctx.demo.page_url.replace("/post.html", "/csp.html");
    open(page, &url).await;
    let policy = read(
        page,
        "document.querySelector('meta[http-equiv=Content-Security-Policy]').content",
    )
    .await;
    assert!(
        policy
            .as_str()
            .is_some_and(|p| p.contains(&ctx.demo.worker_url)),
        "the policy names the worker: {policy}"
    );
    // The widget's stylesheet applied (its hash is in the policy).
    let radius = read(
        page,
        &format!("getComputedStyle({ROOT}.querySelector('.twin')).borderTopLeftRadius"),
    )
    .await;
    assert_eq!(radius, "10px", "the widget's own styles are applied");
    // It answers through the worker.
    let turn = ask_rag_until(
        page,
        "'How did you stop salt air wrecking the weather station?'",
        ".sources a",
        "sources under the strict CSP",
    )
    .await;
    wait_for(
        page,
        &format!("!!{turn}.querySelector('.copy')"),
        Duration::from_secs(60),
        "the answer to finish under the strict CSP",
    )
    .await;
    assert_eq!(
        read(page, "window.__csp").await,
        json!([]),
        "the widget caused no violation"
    );
    // The policy is in force: a style it does not name is refused and reported.
    let outline = read(page, "(() => { const s = document.createElement('style'); s.textContent = 'body { outline: 7px solid red }'; document.head.appendChild(s); return getComputedStyle(document.body).outlineStyle; })()").await;
    assert_eq!(outline, "none", "an unhashed style is not applied");
    wait_for(
        page,
        "window.__csp.length === 1 && window.__csp[0].startsWith('style-src')",
        Duration::from_secs(5),
        "the refused style to be reported",
    )
    .await;
    // And requests: one to an origin the policy does not name is refused before it leaves the page.
    let fetched = read(
        page,
        "fetch('http://127.0.0.1:9/elsewhere').then(() => 'sent', () => 'refused')",
    )
    .await;
    assert_eq!(fetched, "refused");
    wait_for(
        page,
        "window.__csp.length === 2 && window.__csp[1].startsWith('connect-src')",
        Duration::from_secs(5),
        "the refused request to be reported",
    )
    .await;
}

/// A worker configured with one backend only (a blogger who leaves the GPU pane off): the widget shows
/// one pane, the probes, and answers in it.
async fn a_worker_with_one_backend_gives_one_pane(ctx: &Ctx) {
    let page = &ctx.page;
    let (stack, site) = OwnWorker {
        backends: vec![Backend {
            subtitle: "stand-in with retrieval".into(),
            retrieval: true,
            ..Backend::new("rag", "Retrieval + Haiku", Provider::Openai, STAND_IN, "x")
        }],
        log: "one-backend",
        ..Default::default()
    }
    .start()
    .await;
    open(page, &format!("{}/post.html", site.url)).await;
    let v = read(
        page,
        &format!(
            "({{panes: [...{ROOT}.querySelectorAll('.pane')].map(p => p.dataset.backend), probes: {ROOT}.querySelectorAll('.probe').length, width: {ROOT}.querySelector('.pane').getBoundingClientRect().width / {ROOT}.querySelector('.twin').getBoundingClientRect().width}})"
        ),
    )
    .await;
    assert_eq!(v["panes"], json!(["rag"]), "{v}");
    assert_eq!(v["probes"], 3, "{v}");
    assert!(num(&v, "width") > 0.8, "the one pane fills the widget: {v}");
    eval(
        page,
        &format!("{ROOT}.querySelector('.probe[data-probe=knowledge]').click()"),
    )
    .await;
    let last = format!("[...{ROOT}.querySelectorAll('.pane[data-backend=rag] .turn')].at(-1)");
    wait_for(
        page,
        &format!("!!{last} && !!{last}.querySelector('.copy') && {last}.querySelectorAll('.sources a').length > 0"),
        Duration::from_secs(30),
        "the one pane's answer with sources",
    )
    .await;
    let answer = read(page, &format!("{last}.querySelector('.a').textContent")).await;
    assert!(
        answer.as_str().is_some_and(|t| t.contains("stand-in")),
        "{answer}"
    );
    screenshot(ctx, "one-backend.png").await;
    stop_own(stack, site).await;
}

/// A worker and a page of a check's own, beside the shared demo: a fresh stand-in, `backends`, and the
/// page served on a port of its own.
struct OwnWorker {
    backends: Vec<Backend>,
    /// Variables besides `ALLOWED_ORIGINS`.
    vars: Vec<(&'static str, String)>,
    /// Whether `ALLOWED_ORIGINS` is the page's origin; if not, it is another blog's.
    page_allowed: bool,
    /// Where the page's widget calls: the worker when `None`.
    endpoint: Option<String>,
    /// The wrangler log's name, under `build/logs/e2e/`.
    log: &'static str,
    /// What `/api/health` answers once the worker is up: 200, or 503 for a broken configuration.
    ready_status: u16,
}

impl Default for OwnWorker {
    /// No backend, no extra variable, the page allowed, the widget calling the worker, healthy.
    fn default() -> OwnWorker {
        OwnWorker {
            backends: Vec::new(),
            vars: Vec::new(),
            page_allowed: true,
            endpoint: None,
            log: "own",
            ready_status: 200,
        }
    }
}

impl OwnWorker {
    /// Starts the stand-in, the worker under wrangler dev and the page (off the async threads: they
    /// block while wrangler builds and starts).
    async fn start(
        self,
    ) -> (
        twin_local::worker_stack::WorkerStack,
        twin_local::static_site::StaticSite,
    ) {
        let root = Stack::root();
        tokio::task::spawn_blocking(move || {
            let stand_in = twin_local::StandIn::start().expect("the stand-in");
            let port = twin_local::free_port().expect("a port");
            let allowed = if self.page_allowed {
                format!("http://127.0.0.1:{port}")
            } else {
                "https://another-blog.example".to_string()
            };
            let mut vars = vec![("ALLOWED_ORIGINS", allowed)];
            vars.extend(self.vars);
            let stack = twin_local::worker_stack::WorkerStack::start_until(
                &root,
                stand_in,
                &self.backends,
                &vars,
                &[],
                &root.join(format!("build/logs/e2e/{}-wrangler.log", self.log)),
                self.ready_status,
            )
            .unwrap_or_else(|e| panic!("the {} worker: {e}", self.log));
            let endpoint = self.endpoint.unwrap_or_else(|| stack.worker.url.clone());
            let site = twin_local::static_site::StaticSite::start(
                &root.join("build/e2e-site"),
                &endpoint,
                port,
            )
            .expect("the page");
            (stack, site)
        })
        .await
        .expect("starting a worker of the check's own")
    }
}

/// Opens the post at `site` and waits until the widget says the twin is unavailable (and, unless
/// `inside` is empty, shows `inside` within that message); returns the message's JS expression.
async fn open_unavailable(page: &Page, site: &str, inside: &str, what: &str) -> String {
    page.goto(format!("{site}/post.html"))
        .await
        .expect("navigate");
    let error = format!("{ROOT}.querySelector('.widget > .error[role=alert]')");
    let inside = if inside.is_empty() {
        String::new()
    } else {
        format!(" && !!{error}.querySelector('{inside}')")
    };
    wait_for(
        page,
        &format!("!!{ROOT} && !!{error}{inside}"),
        Duration::from_secs(30),
        what,
    )
    .await;
    error
}

/// One healthy backend on the stand-in, `quick`.
fn quick() -> Vec<Backend> {
    vec![Backend {
        subtitle: "stand-in".into(),
        ..Backend::new("quick", "Quick", Provider::Openai, STAND_IN, "x")
    }]
}

/// Stops what [`OwnWorker::start`] started.
async fn stop_own(
    stack: twin_local::worker_stack::WorkerStack,
    site: twin_local::static_site::StaticSite,
) {
    tokio::task::spawn_blocking(move || drop((site, stack)))
        .await
        .expect("stopping a worker of the check's own");
}

/// A worker that refuses before it knows the page (the blog missing from ALLOWED_ORIGINS, a broken
/// configuration): the widget says why, as the worker put it, and offers no "Try again" that cannot help.
/// Without CORS on those refusals the browser hides them and the widget can only say "unreachable".
async fn a_worker_that_refuses_the_page_says_why(ctx: &Ctx) {
    let page = &ctx.page;
    let cases = [
        (
            OwnWorker {
                backends: quick(),
                page_allowed: false,
                log: "other-origin",
                ..Default::default()
            },
            "this origin may not call the twin API (ALLOWED_ORIGINS)",
        ),
        (
            OwnWorker {
                backends: quick(),
                vars: vec![("RATE_LIMIT", "sometimes".to_string())],
                log: "broken-config",
                ready_status: 503,
                ..Default::default()
            },
            "this twin's configuration is invalid",
        ),
    ];
    for (own, says) in cases {
        let log = own.log;
        let (stack, site) = own.start().await;
        let error = open_unavailable(
            page,
            &site.url,
            "",
            &format!("{log}: the widget to say it is unavailable"),
        )
        .await;
        let v = read(
            page,
            &format!(
                "({{error: {error}.textContent, retry: !!{error}.querySelector('button.retry'), panes: {ROOT}.querySelectorAll('.pane').length}})"
            ),
        )
        .await;
        screenshot(ctx, &format!("{log}.png")).await;
        stop_own(stack, site).await;
        assert!(
            text(&v, "error").contains(says),
            "{log}: the worker's reason is told: {v}"
        );
        assert_eq!(v["retry"], false, "{log}: trying again cannot help: {v}");
        assert_eq!(v["panes"], 0, "{log}: {v}");
    }
}

/// Accepts connections on `listener` and pipes each, both ways, to `target` (`host:port`): the worker
/// becoming reachable at an address the page already knows.
async fn forward(listener: tokio::net::TcpListener, target: String) {
    while let Ok((mut inbound, _)) = listener.accept().await {
        let target = target.clone();
        tokio::spawn(async move {
            if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

/// The worker cannot be reached when the page loads: the widget says so, offers "Try again", and the
/// page stays usable; once the worker is reachable, trying again loads it without a reload. Then fifty
/// follow-ups in one conversation: each answer arrives under its own question, in order, the input
/// keeps working, and the last request still carries the turn before it, within the wire's bounds.
async fn unreachable_at_load_then_fifty_follow_ups(ctx: &Ctx) {
    const FOLLOW_UPS: usize = 50;
    let page = &ctx.page;
    // The page points at `gate`: a port bound (so nothing else can take it) but not listening, so a
    // connection is refused. The worker (its own, rate limit off, so fifty questions in a minute are all
    // answered) is started, and `gate` forwards to it once it listens.
    let gate = tokio::net::TcpSocket::new_v4().expect("a socket");
    gate.bind(([127, 0, 0, 1], 0).into()).expect("a port");
    let gate_port = gate.local_addr().expect("its address").port();
    let (stack, site) = OwnWorker {
        backends: quick(),
        vars: vec![("RATE_LIMIT", "off".to_string())],
        endpoint: Some(format!("http://127.0.0.1:{gate_port}")),
        log: "unreachable",
        ..Default::default()
    }
    .start()
    .await;
    let error = open_unavailable(
        page,
        &site.url,
        "button.retry",
        "the widget to say the worker is unreachable",
    )
    .await;
    // The blog's own page is there around the widget, and a question typed now is kept, not lost to a
    // widget with no pane to answer it. The mark shows, later, that "Try again" did not reload the page.
    type_and_enter(page, "'A question while it is down'").await;
    let v = read(
        page,
        &format!(
            "(() => {{ window.__twinMark = 'still this page'; return {{error: {error}.textContent,
                panes: {ROOT}.querySelectorAll('.pane').length,
                draft: {ROOT}.querySelector('#twin-input').value,
                blog: document.querySelector('h1').textContent.trim().length}}; }})()"
        ),
    )
    .await;
    assert!(
        text(&v, "error").contains("could not be reached"),
        "the reader is told what happened: {v}"
    );
    assert_eq!(v["panes"], 0, "no pane without a config: {v}");
    assert_eq!(
        v["draft"], "A question while it is down",
        "the question typed is kept: {v}"
    );
    assert!(num(&v, "blog") > 0.0, "the blog's page is there: {v}");
    screenshot(ctx, "unreachable.png").await;

    let worker = stack
        .worker
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let listener = gate.listen(128).expect("the page's worker address");
    let forwarding = tokio::spawn(forward(listener, worker));
    eval(
        page,
        &format!("{error}.querySelector('button.retry').click()"),
    )
    .await;
    wait_for(
        page,
        &format!("{ROOT}.querySelectorAll('.pane[data-backend=quick]').length === 1 && {ROOT}.querySelectorAll('.probe').length > 0 && !{ROOT}.querySelector('.widget > .error')"),
        Duration::from_secs(30),
        "the widget to load on Try again",
    )
    .await;
    assert_eq!(
        read(page, "window.__twinMark").await,
        "still this page",
        "Try again loads the widget without reloading the page"
    );

    let turns = format!("{ROOT}.querySelectorAll('.pane[data-backend=quick] .turn')");
    for i in 1..=FOLLOW_UPS {
        type_and_enter(page, &format!("'Follow-up number {i}?'")).await;
        let last = format!("{turns}[{}]", i - 1);
        wait_for(
            page,
            &format!("{turns}.length === {i} && !!{last}.querySelector('.copy')"),
            Duration::from_secs(30),
            &format!("the answer to follow-up {i}"),
        )
        .await;
    }
    let v = read(
        page,
        &format!(
            "(() => {{ const t = [...{turns}]; return {{
                questions: t.map(e => e.querySelector('.q').textContent.trim()),
                answered: t.filter((e, i) => e.querySelector('.a').textContent.includes(`Follow-up number ${{i + 1}}?`)).length,
                errors: {ROOT}.querySelectorAll('.error').length }}; }})()"
        ),
    )
    .await;
    let questions: Vec<String> = (1..=FOLLOW_UPS)
        .map(|i| format!("Follow-up number {i}?"))
        .collect();
    assert_eq!(v["questions"], json!(questions), "every question, in order");
    assert_eq!(
        v["answered"], FOLLOW_UPS,
        "every answer under its question: {v}"
    );
    assert_eq!(v["errors"], 0, "{v}");
    // The fiftieth request went upstream with the turn before it, and within the wire's bounds.
    let sent = stack
        .stand_in
        .received()
        .pop()
        .expect("the stand-in received the requests");
    let messages = sent["messages"].as_array().expect("OpenAI messages");
    let said = |m: &Value| m["content"].as_str().unwrap_or_default().to_string();
    let last = messages.last().map(said).unwrap_or_default();
    assert!(
        last.contains(&format!("Follow-up number {FOLLOW_UPS}?")),
        "{last}"
    );
    assert!(
        messages
            .iter()
            .any(|m| said(m).contains(&format!("Follow-up number {}?", FOLLOW_UPS - 1))),
        "the previous turn went with it: {sent}"
    );
    assert!(
        !messages
            .iter()
            .any(|m| said(m).contains("Follow-up number 1?")),
        "the oldest turns were left out: {sent}"
    );
    screenshot(ctx, "fifty-follow-ups.png").await;
    forwarding.abort();
    stop_own(stack, site).await;
}

fn site_with_flaky_page(dist: &Path, into: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(into)?;
    for entry in std::fs::read_dir(dist)? {
        let p = entry?.path();
        if p.is_file()
            && let Some(name) = p.file_name()
        {
            std::fs::copy(&p, into.join(name))?;
        }
    }
    let post = std::fs::read_to_string(dist.join("post.html"))?;
    std::fs::write(
        into.join("flaky.html"),
        post.replace(
            "<div id=\"twin-chat\"",
            "<div id=\"twin-chat\" data-backends=\"rag,flaky\"",
        ),
    )?;
    std::fs::write(
        into.join("long.html"),
        post.replace(
            "<div id=\"twin-chat\"",
            "<div id=\"twin-chat\" data-backends=\"long\"",
        ),
    )?;
    std::fs::write(
        into.join("resilience.html"),
        post.replace(
            "<div id=\"twin-chat\"",
            "<div id=\"twin-chat\" data-backends=\"cut,busy\"",
        ),
    )?;
    std::fs::write(into.join("csp.html"), strict_csp_page(&post)?)
}

/// The demo post under the strict Content Security Policy the README gives bloggers: scripts and the
/// wasm from the widget's origin only, the widget's stylesheet by its hash, requests to the worker only.
/// The page's own `<style>` is left out (a blog would hash or host its own).
fn strict_csp_page(post: &str) -> std::io::Result<String> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let css = std::fs::read(Stack::root().join("widget/style.css"))?;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&css));
    let (head, rest) = post
        .split_once("<style>")
        .ok_or_else(|| std::io::Error::other("post.html has no <style>"))?;
    let (_, tail) = rest
        .split_once("</style>")
        .ok_or_else(|| std::io::Error::other("post.html's <style> is not closed"))?;
    // `http://127.0.0.1:8787` is the placeholder the static server replaces with the worker's URL.
    let policy = format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'sha256-{hash}'; \
         connect-src 'self' http://127.0.0.1:8787; img-src 'self'; base-uri 'none'; form-action 'none'"
    );
    Ok(format!(
        "{head}<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">{tail}"
    ))
}

fn main() {
    let root = Stack::root();
    let dist = root.join("dist/widget");
    if !dist.join("post.html").is_file() {
        common::setup_failed("the widget is not built: run scripts/build-widget.sh");
    }
    let site = root.join("build/e2e-site");
    let shots = root.join("build/screenshots");
    site_with_flaky_page(&dist, &site).expect("test site");
    write_eval_report(&site).expect("the eval report");
    std::fs::create_dir_all(&shots).expect("screenshots dir");
    let opts = DemoOptions {
        tuned_override: Some(Backend {
            subtitle: "stand-in GPU waking for 4 s".into(),
            cold_start: true,
            wake_deadline_s: 30,
            ..Backend::new(
                "tuned",
                "Fine-tuned Gemma",
                Provider::Openai,
                &format!("{STAND_IN}/fault/cold-4"),
                "x",
            )
        }),
        // Its own wake timer (the stand-in keys cold starts by path): 503s for 5 s from its first request.
        extra_backends: vec![
            Backend {
                subtitle: "stand-in answering 503 for 5 s".into(),
                ..Backend::new(
                    "flaky",
                    "Flaky",
                    Provider::Openai,
                    &format!("{STAND_IN}/fault/cold-5"),
                    "x",
                )
            },
            Backend {
                subtitle: "stand-in cutting the connection mid-answer".into(),
                idle_timeout_s: 3,
                ..Backend::new(
                    "cut",
                    "Cut",
                    Provider::Openai,
                    &format!("{STAND_IN}/fault/drop-mid-stream"),
                    "x",
                )
            },
            Backend {
                subtitle: "stand-in rate limited for 30 s".into(),
                ..Backend::new(
                    "busy",
                    "Busy",
                    Provider::Openai,
                    &format!("{STAND_IN}/fault/429-30"),
                    "x",
                )
            },
            Backend {
                subtitle: "stand-in answering 600 words".into(),
                max_tokens: 600,
                ..Backend::new(
                    "long",
                    "Long",
                    Provider::Openai,
                    &format!("{STAND_IN}/fault/answer-long"),
                    "x",
                )
            },
        ],
        site_root: Some(site),
        rate_limit_off: true,
        ..Default::default()
    };
    let setup: common::harness::Setup<Ctx> = Box::new(move |page| {
        Ok(Ctx {
            demo: common::start_demo(&root, &opts)?,
            page,
            shots,
        })
    });
    common::harness::run(
        setup,
        vec![
            check!(loads_with_two_panes_and_probes),
            check!(blog_css_does_not_reach_the_widget),
            check!(knowledge_probe_streams_into_both_panes),
            check!(keyboard_enter_sends_and_escape_stops),
            check!(an_uncovered_question_says_so),
            check!(an_overlong_question_says_to_shorten_it),
            // Opens a page of its own (as every check after it does).
            check!(a_probe_clicked_again_comes_from_the_cache_and_can_be_asked_live),
            check!(thumbs_down_and_a_jailbreak_report_reach_the_author),
            check!(follow_ups_after_a_long_answer_work),
            check!(error_shows_a_message_and_retry_works),
            check!(a_cut_stream_keeps_its_text_and_a_rate_limit_says_when),
            check!(the_widget_works_under_a_strict_csp),
            check!(a_worker_with_one_backend_gives_one_pane),
            check!(unreachable_at_load_then_fifty_follow_ups),
            check!(a_worker_that_refuses_the_page_says_why),
            check!(narrow_window_stacks_the_panes),
            check!(eval_report_renders_its_plots),
        ],
    );
}
