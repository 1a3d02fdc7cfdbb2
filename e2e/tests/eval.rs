//! `twin eval` end to end: a handful of questions through the worker under `wrangler dev`, asked of a real
//! local model (SmolLM2 under llama.cpp, with retrieval) and of three stand-in answerers whose quality is
//! known: one that quotes the retrieved passage, one that talks about something else, one that answers
//! like a generic assistant. The run must complete with full traces, every score must lie in [0, 1], the
//! scores must rank the known answerers the right way round, no answer may leak prompt markup, and a rerun
//! must resume instead of asking again. `cargo test -p twin-e2e --test eval -- --nocapture` prints the table.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use twin_e2e::{Client, Stack};
use twin_eval::corpus::Corpus;
use twin_eval::items::{DEFAULT_SETS, items, select};
use twin_eval::prices::{DEFAULT_PRICES, Prices};
use twin_eval::report;
use twin_eval::run::{Progress, RunError, RunSpec, read_meta, run};
use twin_eval::summary::summarise_run;
use twin_shared::{Coverage, EvalSet, Probes};

const BACKENDS: &[&str] = &["rag", "eval-passage", "eval-unrelated", "eval-generic"];

#[test]
fn a_small_eval_run_scores_known_answerers_the_right_way_round() {
    let content = Stack::root().join("content");
    let corpus = Corpus::load(&content).expect("corpus");
    let eval = EvalSet::read(&content.join("eval")).expect("eval sets");
    let probes_text = std::fs::read_to_string(content.join("probes.toml")).expect("probes");
    let probes = Probes::from_toml("probes.toml", &probes_text).expect("probes");
    let sets: Vec<String> = DEFAULT_SETS.iter().map(|s| s.to_string()).collect();
    let chosen = select(
        items(&eval, &probes.probe, &sets).expect("items"),
        Some(3),
        Some(7),
    );
    assert!(chosen.len() >= 10, "{} items", chosen.len());
    let stack = Stack::start().expect("stack");
    let out = tempfile::tempdir().expect("tempdir");
    let spec = RunSpec {
        endpoint: stack.url.clone(),
        backends: BACKENDS.iter().map(|s| s.to_string()).collect(),
        items: chosen.clone(),
        repeat: 1,
        concurrency: 2,
        out: out.path().join("run"),
        models: BTreeMap::from([("rag".to_string(), "local".to_string())]),
        rotate_client_ip: true,
    };
    let answered = AtomicUsize::new(0);
    let traces = run(&spec, &corpus, &|p| {
        if let Progress::Answered { .. } = p {
            answered.fetch_add(1, Ordering::Relaxed);
        }
    })
    .expect("run");
    assert_eq!(
        answered.load(Ordering::Relaxed),
        chosen.len() * BACKENDS.len()
    );

    // Complete traces: every question answered by every backend, with the stream's facts recorded.
    for b in BACKENDS {
        let t = traces.get(*b).expect("a trace per backend");
        assert_eq!(t.len(), chosen.len(), "{b}");
        for x in t {
            // A tiny real model may stop at once (a stop sequence as its first token): the worker reports
            // that as `empty_answer`, recorded like any failure. The stand-ins never do.
            let code = x.error.as_ref().map(|e| e.code.as_str());
            assert!(
                code.is_none() || (*b == "rag" && code == Some("empty_answer")),
                "{b} failed: {:?}",
                x.error
            );
            assert_eq!(x.http_status, 200);
            if b.starts_with("eval-") {
                assert!(
                    !x.answer.trim().is_empty(),
                    "{b}: empty answer to {:?}",
                    x.question
                );
                assert!(x.ttft_ms.is_some());
            }
            assert!(x.total_ms >= x.ttft_ms.unwrap_or(0));
            if x.error.is_none() {
                assert!(x.output_tokens.is_some(), "{b}: no usage");
                assert!(x.stop_reason.is_some());
            }
        }
    }
    // Retrieval backends send a `sources` event for every question, each source with its level, and
    // sources for every answerable one; the others send none.
    for b in ["eval-passage", "rag"] {
        for t in &traces[b] {
            assert!(
                t.coverage.is_some(),
                "{b}: no sources event for {:?}",
                t.question
            );
            assert!(
                t.sources
                    .iter()
                    .all(|s| matches!(s.coverage, Some(Coverage::Covered | Coverage::Thin))),
                "{b}: {:?}",
                t.sources
            );
            if t.set == "answerable" {
                assert!(
                    !t.sources.is_empty() && !t.source_slugs.is_empty(),
                    "{b}: no sources for {:?}",
                    t.question
                );
            }
        }
    }
    assert!(
        traces["eval-generic"]
            .iter()
            .all(|t| t.sources.is_empty() && t.coverage.is_none())
    );

    let meta = read_meta(&spec.out)
        .expect("meta")
        .expect("meta.json written");
    let prices = Prices::parse("prices.toml", DEFAULT_PRICES).expect("prices");
    let (summary, scores) = summarise_run(&meta, &traces, &corpus, &prices);
    println!("{}", report::terminal_table(&summary));
    let by = |id: &str| {
        summary
            .backends
            .iter()
            .find(|b| b.backend == id)
            .expect("backend summary")
    };
    for b in &summary.backends {
        for e in [
            b.knowledge,
            b.source_hit,
            b.declined,
            b.asserted,
            b.voice,
            b.voice_all,
        ]
        .into_iter()
        .flatten()
        {
            assert!(
                (0.0..=1.0).contains(&e.mean) && e.lo <= e.mean && e.mean <= e.hi,
                "{}: {e:?}",
                b.backend
            );
        }
        assert_eq!(b.answers, chosen.len());
        // Every set was asked, so every score that applies to this backend must be there.
        let needed = [
            ("knowledge", b.knowledge),
            ("declined", b.declined),
            ("asserted", b.asserted),
            ("voice", b.voice),
            ("voice_all", b.voice_all),
        ];
        for (name, e) in needed {
            assert!(e.is_some(), "{}: no {name} score", b.backend);
        }
        assert_eq!(
            b.source_hit.is_some(),
            b.retrieval,
            "{}: source hits only for retrieval backends",
            b.backend
        );
    }
    // Knowledge: quoting the retrieved passage beats talking about cathedrals.
    let good = by("eval-passage").knowledge.expect("knowledge").mean;
    let bad = by("eval-unrelated").knowledge.expect("knowledge").mean;
    assert!(
        good > bad,
        "knowledge: passage {good:.2} vs unrelated {bad:.2}"
    );
    assert_eq!(bad, 0.0);
    // Hallucination: the off-topic answerer asserts specifics the corpus never states.
    let unsupported = |id: &str| by(id).unsupported_per_answer.expect("unsupported").mean;
    assert!(unsupported("eval-unrelated") > unsupported("eval-passage"));
    // Voice: the generic assistant scores below the author's own writing.
    let generic = by("eval-generic").voice_all.expect("voice").mean;
    let author = corpus
        .voice
        .score(&std::fs::read_to_string(content.join("posts/driftwood-salt-air.md")).expect("post"))
        .score;
    assert!(
        generic < 0.5 && author > 0.5 && generic < author,
        "generic {generic:.2} vs author {author:.2}"
    );
    // Cost: local models cost nothing; a backend without a model id has no price.
    assert_eq!(by("rag").cost_per_1000, Some(0.0));
    assert_eq!(by("eval-generic").cost_per_1000, None);
    // Nothing from the prompt's markup or a chat template reaches the reader.
    for s in &scores {
        assert!(
            s.leaks.is_empty(),
            "{} leaked {:?} answering {:?}",
            s.backend,
            s.leaks,
            s.question
        );
    }

    // The HTML report: one self-contained page with the four plots and every backend in it.
    let page = twin_eval::report_html::html(&summary, &scores);
    assert_eq!(page.matches("<svg").count(), 4);
    for b in BACKENDS {
        assert!(
            page.contains(&format!("<code>{b}</code>")),
            "{b} in the table"
        );
    }
    assert!(
        !page.contains("<script") && !page.contains(" src="),
        "self-contained"
    );

    // The optional judge, played by the stand-in (its verdicts follow a visible rule): every answer is
    // judged once, the ratings reach the summary rescaled, and a rerun asks nothing again.
    let judge = twin_eval::judge::Judge {
        base_url: stack.stand_in.fault_url("answer-judge"),
        model: "stand-in".into(),
        // The stand-in checks for the header as the real API does; any value passes.
        key: Some("stand-in-key".into()),
    };
    let verdicts =
        twin_eval::judge::judge_run(&judge, &traces, "Dry and warm.", &spec.out, &|_, _| {})
            .expect("judge");
    // Failed answers (the real model's `empty_answer`) are not judged.
    let answered = traces
        .values()
        .flatten()
        .filter(|t| t.error.is_none())
        .count();
    assert!(answered >= chosen.len() * (BACKENDS.len() - 1));
    assert_eq!(verdicts.len(), answered);
    assert!(
        verdicts.iter().all(|v| v.grounded.is_some()),
        "{verdicts:?}"
    );
    let ids: Vec<String> = BACKENDS.iter().map(|s| s.to_string()).collect();
    let judged = twin_eval::judge::summarise(&ids, &verdicts);
    let mean =
        |id: &str, f: fn(&twin_eval::judge::JudgeSummary) -> Option<twin_eval::stats::Estimate>| {
            judged
                .iter()
                .find(|j| j.backend == id)
                .and_then(f)
                .map(|e| e.mean)
        };
    assert_eq!(mean("eval-generic", |j| j.voice), Some(0.0), "{judged:?}");
    assert_eq!(mean("eval-passage", |j| j.voice), Some(0.75), "{judged:?}");
    assert_eq!(
        mean("eval-unrelated", |j| j.grounded),
        Some(0.0),
        "{judged:?}"
    );
    let lines = |p: &std::path::Path| {
        std::fs::read_to_string(p)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    let before = lines(&spec.out.join("judge.jsonl"));
    let again =
        twin_eval::judge::judge_run(&judge, &traces, "Dry and warm.", &spec.out, &|_, _| {
            panic!("nothing is judged twice")
        })
        .expect("judge again");
    assert_eq!(
        (again.len(), lines(&spec.out.join("judge.jsonl"))),
        (verdicts.len(), before)
    );

    // A rerun resumes: nothing is asked again, except answers that failed retryably (the real model's
    // `empty_answer`). The resume checks below use the stand-in backends, which never fail.
    let retried = traces["rag"].iter().filter(|t| t.retry_on_resume()).count();
    let skipped = AtomicUsize::new(usize::MAX);
    let again = run(&spec, &corpus, &|p| {
        if let Progress::Start { total, skipped: s } = p {
            assert_eq!(total, s + retried);
            skipped.store(s, Ordering::Relaxed);
        }
    })
    .expect("rerun");
    assert_eq!(
        skipped.load(Ordering::Relaxed),
        chosen.len() * BACKENDS.len() - retried
    );
    assert_eq!(again["eval-passage"], traces["eval-passage"]);
    let stand_ins = RunSpec {
        backends: BACKENDS[1..].iter().map(|s| s.to_string()).collect(),
        ..spec.clone()
    };

    // Every answer records the fingerprint its backend had (the same on every /api/config call), and an
    // answer made under another one is asked again, never reused (here: one answer whose recorded
    // content part is forged).
    let recorded = read_meta(&spec.out).expect("meta").expect("meta.json");
    let prints: Vec<String> = recorded
        .backends
        .iter()
        .map(|b| b.fingerprint.clone().expect("a fingerprint per backend"))
        .collect();
    assert_eq!(prints.len(), BACKENDS.len());
    for f in &prints {
        let parts: Vec<&str> = f.split('-').collect();
        assert!(
            parts.len() == 3 && parts.iter().all(|p| p.len() == 9),
            "{f}"
        );
        assert_eq!(parts[0], &prints[0][..9], "one content for every backend");
        assert_ne!(parts[0], "c00000000", "the blob carries its content id");
    }
    let (status, config) = Client::new(&stack.url, "192.0.2.77").get_json("/api/config");
    assert_eq!(status, 200);
    let again_prints: Vec<&str> = config["backends"]
        .as_array()
        .expect("backends")
        .iter()
        .filter(|b| BACKENDS.contains(&b["id"].as_str().unwrap_or("")))
        .map(|b| b["fingerprint"].as_str().expect("a fingerprint"))
        .collect();
    assert_eq!(again_prints.len(), BACKENDS.len());
    for p in &again_prints {
        assert!(prints.iter().any(|x| x == p), "{p} not in {prints:?}");
    }
    let forged_traces = twin_eval::run::trace_path(&spec.out, "eval-passage");
    let text = std::fs::read_to_string(&forged_traces).expect("traces");
    let print = traces["eval-passage"][0]
        .fingerprint
        .clone()
        .expect("recorded on the trace");
    let forged = text.replacen(&print, &format!("cdeadbeef{}", &print[9..]), 1);
    assert_ne!(forged, text);
    std::fs::write(&forged_traces, &forged).expect("write");
    let notes = Mutex::new(Vec::new());
    let skipped = AtomicUsize::new(usize::MAX);
    run(&stand_ins, &corpus, &|p| match p {
        Progress::Remade {
            backend,
            answers,
            what,
        } => notes.lock().expect("notes").push((backend, answers, what)),
        Progress::Start { skipped: s, .. } => skipped.store(s, Ordering::Relaxed),
        _ => {}
    })
    .expect("rerun after a change");
    assert_eq!(
        notes.into_inner().expect("notes"),
        [(
            "eval-passage".to_string(),
            1,
            "the content (index)".to_string()
        )]
    );
    assert_eq!(
        skipped.load(Ordering::Relaxed),
        chosen.len() * (BACKENDS.len() - 1) - 1
    );

    // An answer to an earlier wording of a question is asked again; the others are kept.
    let mut reworded = stand_ins.clone();
    reworded.items[0].question.push_str(" Briefly.");
    let skipped = AtomicUsize::new(usize::MAX);
    let after = run(&reworded, &corpus, &|p| {
        if let Progress::Start { total, skipped: s } = p {
            assert_eq!(total, chosen.len() * (BACKENDS.len() - 1));
            skipped.store(s, Ordering::Relaxed);
        }
    })
    .expect("reworded run");
    assert_eq!(
        skipped.load(Ordering::Relaxed),
        (chosen.len() - 1) * (BACKENDS.len() - 1)
    );
    for b in &BACKENDS[1..] {
        let t = after[*b]
            .iter()
            .find(|t| t.id == reworded.items[0].id)
            .expect("the reworded question's answer");
        assert!(t.question.ends_with(" Briefly."), "{}", t.question);
    }

    // Clear errors: an unknown backend (the worker's config was read, so the run reached it), a folder of
    // another version, an unreachable endpoint.
    let unknown = RunSpec {
        backends: vec!["nope".into()],
        out: out.path().join("other"),
        ..spec.clone()
    };
    match run(&unknown, &corpus, &|_| {}) {
        Err(RunError::UnknownBackend { id, known, .. }) => {
            assert!(id == "nope" && known.contains("rag"))
        }
        other => panic!("expected an unknown backend error, got {other:?}"),
    }
    let old = out.path().join("old");
    std::fs::create_dir_all(&old).expect("dir");
    std::fs::write(old.join("meta.json"), r#"{"version": 0}"#).expect("write");
    match run(
        &RunSpec {
            out: old,
            ..spec.clone()
        },
        &corpus,
        &|_| {},
    ) {
        Err(e @ RunError::Incompatible { .. }) => assert!(e.to_string().contains("version 0")),
        other => panic!("expected an incompatible folder error, got {other:?}"),
    }
    let dead = format!(
        "http://127.0.0.1:{}",
        twin_local::free_port().expect("port")
    );
    match run(
        &RunSpec {
            endpoint: dead.clone(),
            out: out.path().join("dead"),
            ..spec
        },
        &corpus,
        &|_| {},
    ) {
        Err(e @ RunError::Unreachable { .. }) => assert!(e.to_string().contains(&dead)),
        other => panic!("expected an unreachable error, got {other:?}"),
    }
}
