//! `twin eval`: asks every eval question of every backend through the worker's public API and scores
//! the answers (knowledge, hallucination, voice, latency, cost); `--compare A B` shows what changed
//! between two runs. Without `--endpoint` it starts the local stack itself, as the demo does.

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use twin_eval::corpus::Corpus;
use twin_eval::items::{DEFAULT_SETS, items, select};
use twin_eval::prices::{DEFAULT_PRICES, Prices};
use twin_eval::run::{Progress, RunSpec, read_meta, run};
use twin_eval::summary::{Summary, summarise_run};
use twin_eval::{report, report_html, trace};
use twin_local::demo::Demo;
use twin_shared::{EvalSet, Probes};

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    sub: Option<Sub>,
    /// The worker's base URL. Without it, twin starts the local stack (models, worker) and uses that.
    #[arg(long)]
    endpoint: Option<String>,
    /// Backend ids, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "rag,tuned")]
    backends: Vec<String>,
    /// Eval sets: answerable, unanswerable, voice, probes, heldout.
    #[arg(long, value_delimiter = ',', default_values_t = DEFAULT_SETS.iter().map(|s| s.to_string()))]
    sets: Vec<String>,
    /// Times each question is asked (answers vary; probes are reported over repeats).
    #[arg(long, default_value_t = 1)]
    repeat: u32,
    /// The run folder: traces, summary.json, scores.jsonl, report.md, report.html (and judge.jsonl,
    /// judge.json with --judge). A rerun resumes it.
    #[arg(long, default_value = "build/eval/run")]
    out: PathBuf,
    /// At most N questions of each set.
    #[arg(long)]
    limit: Option<usize>,
    /// Pick the --limit questions at random with this seed (default: the first ones).
    #[arg(long)]
    sample: Option<u64>,
    /// Questions in flight at once.
    #[arg(long, default_value_t = 2)]
    concurrency: usize,
    /// The model a backend runs, for the price table: `rag=claude-haiku-4-5` (repeatable).
    #[arg(long = "model", value_name = "BACKEND=MODEL")]
    models: Vec<String>,
    /// A price table (TOML, see eval/prices.toml) instead of the shipped one.
    #[arg(long)]
    prices: Option<PathBuf>,
    /// The content folder (eval sets, probes, the corpus the scores compare with).
    #[arg(long, default_value = "content")]
    content: PathBuf,
    /// The repository root (for the local stack).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Also have an LLM rate each answer's groundedness and voice on a fixed rubric (optional; needs
    /// ANTHROPIC_API_KEY in the environment; verdicts are kept in the run folder's judge.jsonl).
    #[arg(long)]
    judge: bool,
    /// The judge's model.
    #[arg(long, default_value = "claude-haiku-4-5", requires = "judge")]
    judge_model: String,
    /// The Anthropic Messages API the judge calls.
    #[arg(long, default_value = "https://api.anthropic.com", requires = "judge")]
    judge_url: String,
    /// Compare two run folders instead of running: `--compare RUN_A RUN_B`.
    #[arg(long, num_args = 2, value_names = ["RUN_A", "RUN_B"])]
    compare: Option<Vec<PathBuf>>,
    /// Score the answers already in a run folder again with this twin's scorers and rewrite its reports,
    /// asking nothing (after a scorer changed): the backends its meta.json lists, every answer in their
    /// traces whatever fingerprint it carries, each against the expectations stored with it and the
    /// corpus in --content. The judge's section of report.md is not rewritten (judge.json stays).
    #[arg(long, value_name = "RUN", conflicts_with = "compare")]
    rescore: Option<PathBuf>,
}

/// Writes a run's summary, scores and reports into `out`.
fn write_reports(
    out: &Path,
    summary: &Summary,
    scores: &[twin_eval::summary::QuestionScore],
) -> anyhow::Result<()> {
    let write = |name: &str, text: String| {
        let p = out.join(name);
        std::fs::write(&p, text).with_context(|| format!("{}: cannot write", p.display()))
    };
    write("summary.json", serde_json::to_string_pretty(summary)?)?;
    let lines: Vec<String> = scores
        .iter()
        .filter_map(|s| serde_json::to_string(s).ok())
        .collect();
    write("scores.jsonl", lines.join("\n") + "\n")?;
    write("report.md", report::markdown(summary))?;
    write("report.html", report_html::html(summary, scores))
}

/// `--rescore RUN`: the traces of every backend in the folder's meta.json, scored now.
fn rescore(dir: &Path, args: &Args) -> anyhow::Result<ExitCode> {
    let meta = read_meta(dir)?.with_context(|| {
        format!(
            "{}: no meta.json (is it a twin eval run folder?)",
            dir.display()
        )
    })?;
    let corpus = Corpus::load(&args.content).map_err(anyhow::Error::msg)?;
    let prices = prices(args)?;
    let mut all: BTreeMap<String, Vec<trace::Trace>> = BTreeMap::new();
    for b in &meta.backends {
        all.insert(b.id.clone(), twin_eval::run::read_traces(dir, &b.id)?);
    }
    let (summary, scores) = summarise_run(&meta, &all, &corpus, &prices);
    write_reports(dir, &summary, &scores)?;
    println!("{}", report::terminal_table(&summary));
    println!(
        "report: {} (and report.html beside it)",
        dir.join("report.md").display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The price table: `--prices`, or the shipped one.
fn prices(args: &Args) -> anyhow::Result<Prices> {
    match &args.prices {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("{}: cannot read", p.display()))?;
            Prices::parse(&p.display().to_string(), &text)
        }
        None => Prices::parse("eval/prices.toml", DEFAULT_PRICES),
    }
    .map_err(anyhow::Error::msg)
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Retrieval quality (recall, MRR per question style) and the coverage signal, on the held-out half.
    Retrieval(crate::eval_retrieval_cmd::Args),
}

fn read_summary(dir: &Path) -> anyhow::Result<Summary> {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{}: cannot read (is it a twin eval run folder?)",
            path.display()
        )
    })?;
    let s: Summary = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a twin eval summary", path.display()))?;
    if s.version != trace::FORMAT_VERSION {
        bail!(
            "{} is format version {}; this twin reads version {}",
            path.display(),
            s.version,
            trace::FORMAT_VERSION
        );
    }
    Ok(s)
}

pub fn run_cmd(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(Sub::Retrieval(a)) = args.sub {
        return crate::eval_retrieval_cmd::run(a);
    }
    if let Some(dirs) = &args.compare {
        let (a, b) = (read_summary(&dirs[0])?, read_summary(&dirs[1])?);
        println!("{} → {}\n", dirs[0].display(), dirs[1].display());
        print!("{}", report::compare(&a, &b));
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(dir) = &args.rescore {
        return rescore(dir, &args);
    }
    if args.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let judge = if args.judge {
        let key = std::env::var("ANTHROPIC_API_KEY")
            .ok()
            .filter(|k| !k.is_empty());
        if key.is_none() && args.judge_url.starts_with("https://api.anthropic.com") {
            bail!("--judge calls the Anthropic API: set ANTHROPIC_API_KEY in the environment");
        }
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| args.judge_url.starts_with(p));
        if key.is_some() && !args.judge_url.starts_with("https://") && !loopback {
            bail!(
                "--judge-url {} is not https: the API key is only sent over https (or to this machine)",
                args.judge_url
            );
        }
        Some(twin_eval::judge::Judge {
            base_url: args.judge_url.clone(),
            model: args.judge_model.clone(),
            key,
        })
    } else {
        None
    };
    let eval = EvalSet::read(&args.content.join("eval"))?;
    let probes_path = args.content.join("probes.toml");
    let probes_text = std::fs::read_to_string(&probes_path)
        .with_context(|| format!("{}: cannot read", probes_path.display()))?;
    let probes = Probes::from_toml(&probes_path.display().to_string(), &probes_text)?;
    let all = items(&eval, &probes.probe, &args.sets).map_err(anyhow::Error::msg)?;
    let chosen = select(all, args.limit, args.sample);
    let prices = prices(&args)?;
    let mut models: BTreeMap<String, String> = BTreeMap::new();
    for m in &args.models {
        let Some((b, model)) = m.split_once('=') else {
            bail!("--model {m:?}: write it as BACKEND=MODEL, e.g. rag=claude-haiku-4-5");
        };
        models.insert(b.trim().to_string(), model.trim().to_string());
    }
    eprintln!("reading the corpus in {}", args.content.display());
    let corpus = Corpus::load(&args.content).map_err(anyhow::Error::msg)?;

    // Our own stack when no endpoint is given; it lives until the run ends.
    let mut stack: Option<Demo> = None;
    let endpoint = match &args.endpoint {
        Some(e) => e.clone(),
        None => {
            let root = args
                .root
                .canonicalize()
                .context("resolving the repository root")?;
            if !root.join("worker/wrangler.toml").is_file() {
                bail!(
                    "{} is not the twin repository; give --endpoint or run from the repository root",
                    root.display()
                );
            }
            let lora = root.join("finetune/adapter/twin-lora.gguf");
            let (gpu_model, lora) = if lora.is_file() {
                ("gemma", Some(lora))
            } else {
                ("smollm2", None)
            };
            let opts = crate::demo_cmd::options(gpu_model, lora)?;
            models.entry("rag".into()).or_insert_with(|| {
                if opts.anthropic_key.is_some() {
                    opts.anthropic_model.clone()
                } else {
                    "local".into()
                }
            });
            if opts.gpu_url.is_none() {
                models
                    .entry("tuned".into())
                    .or_insert_with(|| "local".into());
            }
            eprintln!("starting the local stack (no --endpoint given)");
            let demo = Demo::start(&root, &opts)?;
            for line in &demo.answering {
                eprintln!("  {line}");
            }
            let url = demo.worker_url.clone();
            stack = Some(demo);
            url
        }
    };
    let spec = RunSpec {
        endpoint,
        backends: args.backends.clone(),
        items: chosen,
        repeat: args.repeat,
        concurrency: args.concurrency,
        out: args.out.clone(),
        models,
        rotate_client_ip: stack.is_some(),
    };
    let bar = ProgressBar::hidden();
    let progress = |p: Progress| match p {
        Progress::Start { total, skipped } => {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.set_length(total as u64);
            bar.set_position(skipped as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} answers {msg} ({elapsed}, ~{eta} left)",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            if skipped > 0 {
                bar.println(format!(
                    "resuming: {skipped} answers already in {}",
                    spec.out.display()
                ));
            }
        }
        Progress::Remade {
            backend,
            answers,
            what,
        } => {
            bar.println(format!(
                "{backend}: {answers} answers in {} were made before {what} changed on the worker; asking again",
                spec.out.display()
            ));
        }
        Progress::Answered { backend, error } => {
            if let Some(code) = error {
                bar.println(format!(
                    "{backend}: failed with {code} (recorded, scored as a failure)"
                ));
            }
            bar.inc(1);
        }
    };
    let traces = run(&spec, &corpus, &progress)?;
    bar.finish_and_clear();
    let meta = read_meta(&spec.out)?.context("the run folder lost its meta.json")?;
    // Score the chosen questions (earlier answers to them in the folder included).
    let all: BTreeMap<String, Vec<trace::Trace>> = traces;
    let (summary, scores) = summarise_run(&meta, &all, &corpus, &prices);
    write_reports(&spec.out, &summary, &scores)?;
    let write = |name: &str, text: String| {
        let p = spec.out.join(name);
        std::fs::write(&p, text).with_context(|| format!("{}: cannot write", p.display()))
    };
    // The judge runs after the reports are written, so a failing judge loses nothing.
    if let Some(judge) = &judge {
        let persona_path = args.content.join("persona.md");
        let persona = std::fs::read_to_string(&persona_path)
            .with_context(|| format!("{}: cannot read", persona_path.display()))?;
        let jbar = ProgressBar::new(0);
        jbar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} judged ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let verdicts =
            twin_eval::judge::judge_run(judge, &all, &persona, &spec.out, &|done, total| {
                jbar.set_length(total as u64);
                jbar.set_position(done as u64);
            })
            .map_err(|e| {
                anyhow::anyhow!("the judge failed (verdicts so far are kept in judge.jsonl): {e}")
            })?;
        jbar.finish_and_clear();
        let ids: Vec<String> = summary.backends.iter().map(|b| b.backend.clone()).collect();
        let judged = twin_eval::judge::summarise(&ids, &verdicts);
        write("judge.json", serde_json::to_string_pretty(&judged)?)?;
        write(
            "report.md",
            report::markdown(&summary) + &twin_eval::judge::markdown(&judge.model, &judged),
        )?;
    }
    println!("{}", report::terminal_table(&summary));
    println!(
        "report: {} (and report.html beside it)",
        spec.out.join("report.md").display()
    );
    let failed: Vec<&str> = summary
        .backends
        .iter()
        .filter(|b| b.answers > 0 && b.errors.values().sum::<usize>() == b.answers)
        .map(|b| b.backend.as_str())
        .collect();
    if !failed.is_empty() {
        eprintln!(
            "twin: every answer failed for {} (see the error codes above)",
            failed.join(", ")
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
