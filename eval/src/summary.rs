//! From traces to scores: each answer scored on its own ([`QuestionScore`]), then per backend
//! ([`BackendSummary`]) with bootstrap intervals, latency quantiles and cost. A failed answer is scored
//! as a failure (0 on every quality score) and counted by its error code, never dropped.

use crate::corpus::Corpus;
use crate::items::Expect;
use crate::prices::Prices;
use crate::run::Meta;
use crate::score::hallucination::{Hallucination, hallucination};
use crate::score::knowledge::{Knowledge, knowledge, source_hit};
use crate::score::leaks::leaks;
use crate::score::loops::loops;
use crate::score::voice::Voice;
use crate::stats::{Estimate, bootstrap, mean, quantile};
use crate::trace::Trace;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Seed of every bootstrap interval, so a report is reproducible.
const SEED: u64 = 20_261_127;

/// One answer, scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionScore {
    pub backend: String,
    pub set: String,
    pub id: String,
    pub repeat: u32,
    pub question: String,
    pub probe: Option<String>,
    pub style: Option<String>,
    /// The error code, when the answer failed.
    pub error: Option<String>,
    /// Answerable questions: facts stated.
    pub knowledge: Option<Knowledge>,
    /// Answerable questions on a retrieval backend: an expected post among the sources.
    pub source_hit: Option<bool>,
    pub hallucination: Hallucination,
    pub voice: Voice,
    /// Prompt markup or template tokens in the answer.
    pub leaks: Vec<String>,
    /// A sentence the answer says three times or more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loops: Option<String>,
}

/// Scores one trace.
pub fn score(t: &Trace, retrieval: bool, corpus: &Corpus) -> QuestionScore {
    let failed = t.error.is_some();
    let mut voice = corpus.voice.score(&t.answer);
    // A failed or empty answer has no voice (the logistic would put "nothing" at 0.5).
    if failed || t.answer.trim().is_empty() {
        voice.score = 0.0;
    }
    let (k, hit) = match &t.expect {
        Expect::Answerable { slugs, facts } => {
            let mut k = knowledge(facts, &t.answer);
            if failed {
                k.score = 0.0;
            }
            (
                Some(k),
                retrieval.then(|| !failed && source_hit(slugs, &t.source_slugs)),
            )
        }
        _ => (None, None),
    };
    let mut h = hallucination(&t.answer, &t.question, &corpus.vocab);
    if failed {
        h.declines = false;
    }
    QuestionScore {
        backend: t.backend.clone(),
        set: t.set.clone(),
        id: t.id.clone(),
        repeat: t.repeat,
        question: t.question.clone(),
        probe: t.probe.clone(),
        style: t.style.clone(),
        error: t.error.as_ref().map(|e| e.code.clone()),
        knowledge: k,
        source_hit: hit,
        hallucination: h,
        voice,
        leaks: leaks(&t.answer),
        loops: loops(&t.answer),
    }
}

/// A probe's answers over its repeats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeSummary {
    pub probe: String,
    pub runs: usize,
    /// Knowledge probe: share of runs stating at least one expected fact *and* linking an expected post
    /// (or, without retrieval, stating a fact).
    pub fact_and_link: Option<f64>,
    /// Thin and unanswerable probes: share of runs that decline without inventing specifics.
    pub declined: Option<f64>,
    /// Mean voice score.
    pub voice: f64,
    /// The first run's answer, for the side-by-side view.
    pub example: String,
}

/// One backend's scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendSummary {
    pub backend: String,
    pub label: String,
    pub retrieval: bool,
    pub answers: usize,
    /// Failed answers by error code.
    pub errors: BTreeMap<String, usize>,
    /// Share of expected facts stated, over answerable questions.
    pub knowledge: Option<Estimate>,
    /// Share of answerable questions with an expected post among the sources (retrieval backends).
    pub source_hit: Option<Estimate>,
    /// Share of unanswerable questions (and the thin probe) declined without invented specifics.
    pub declined: Option<Estimate>,
    /// Share of unanswerable questions (and the thin probe) answered with unsupported specifics.
    pub asserted: Option<Estimate>,
    /// Unsupported specifics per answer, over every answer that did not fail.
    pub unsupported_per_answer: Option<Estimate>,
    /// Unsupported specifics over all specifics asserted.
    pub unsupported_rate: Option<f64>,
    /// Voice score over the voice prompts and the voice probe.
    pub voice: Option<Estimate>,
    /// Voice score over every answer.
    pub voice_all: Option<Estimate>,
    /// Answers that leaked prompt markup or template tokens.
    pub leaks: usize,
    /// Answers that say one sentence three times or more.
    #[serde(default)]
    pub loops: usize,
    pub ttft_p50_ms: Option<f64>,
    pub ttft_p90_ms: Option<f64>,
    pub total_p50_ms: Option<f64>,
    pub total_p90_ms: Option<f64>,
    pub input_tokens_mean: Option<f64>,
    pub output_tokens_mean: Option<f64>,
    /// Dollars per 1,000 questions at the mean token counts; `None` when the model has no price.
    pub cost_per_1000: Option<f64>,
    pub model: Option<String>,
    /// Knowledge by set (and by style within the held-out set).
    pub knowledge_by_group: BTreeMap<String, Estimate>,
    pub probes: Vec<ProbeSummary>,
}

/// The whole run's scores (`summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub version: u32,
    pub endpoint: String,
    pub backends: Vec<BackendSummary>,
}

fn estimate(values: &[f64]) -> Option<Estimate> {
    bootstrap(values, SEED)
}

fn f(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// Summarises one backend's traces.
pub fn summarise(
    meta: &crate::run::BackendMeta,
    traces: &[Trace],
    corpus: &Corpus,
    prices: &Prices,
) -> (BackendSummary, Vec<QuestionScore>) {
    let scores: Vec<QuestionScore> = traces
        .iter()
        .map(|t| score(t, meta.retrieval, corpus))
        .collect();
    let mut errors = BTreeMap::new();
    for s in &scores {
        if let Some(e) = &s.error {
            *errors.entry(e.clone()).or_insert(0) += 1;
        }
    }
    let knowledge_values: Vec<f64> = scores
        .iter()
        .filter_map(|s| s.knowledge.as_ref().map(|k| k.score))
        .collect();
    let hits: Vec<f64> = scores.iter().filter_map(|s| s.source_hit.map(f)).collect();
    let traces_by_key =
        |s: &QuestionScore| traces.iter().find(|t| t.id == s.id && t.repeat == s.repeat);
    let declinable: Vec<&QuestionScore> = scores
        .iter()
        .filter(|s| {
            traces_by_key(s)
                .is_some_and(|t| matches!(t.expect, Expect::Unanswerable | Expect::Thin { .. }))
        })
        .collect();
    let declined: Vec<f64> = declinable
        .iter()
        .map(|s| f(s.error.is_none() && s.hallucination.grounded_decline()))
        .collect();
    let asserted: Vec<f64> = declinable
        .iter()
        .map(|s| f(!s.hallucination.unsupported.is_empty()))
        .collect();
    let ok: Vec<&QuestionScore> = scores.iter().filter(|s| s.error.is_none()).collect();
    let unsupported: Vec<f64> = ok
        .iter()
        .map(|s| s.hallucination.unsupported.len() as f64)
        .collect();
    let specifics: usize = ok.iter().map(|s| s.hallucination.specifics).sum();
    let voiced: Vec<f64> = scores
        .iter()
        .filter(|s| traces_by_key(s).is_some_and(|t| matches!(t.expect, Expect::Voice)))
        .map(|s| s.voice.score)
        .collect();
    let voice_all: Vec<f64> = scores.iter().map(|s| s.voice.score).collect();
    let good: Vec<&Trace> = traces.iter().filter(|t| t.error.is_none()).collect();
    let ttft: Vec<f64> = good
        .iter()
        .filter_map(|t| t.ttft_ms.map(|x| x as f64))
        .collect();
    let total: Vec<f64> = good.iter().map(|t| t.total_ms as f64).collect();
    let tin: Vec<f64> = good
        .iter()
        .filter_map(|t| t.input_tokens.map(|x| x as f64))
        .collect();
    let tout: Vec<f64> = good
        .iter()
        .filter_map(|t| t.output_tokens.map(|x| x as f64))
        .collect();
    let cost_per_1000 = match (&meta.model, mean(&tin), mean(&tout)) {
        (Some(m), Some(i), Some(o)) => prices
            .cost(m, i.round() as u64, o.round() as u64)
            .map(|c| c * 1000.0),
        _ => None,
    };
    let mut groups: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for s in &scores {
        if let Some(k) = &s.knowledge {
            groups.entry(s.set.clone()).or_default().push(k.score);
            if let Some(style) = &s.style {
                groups
                    .entry(format!("{}/{style}", s.set))
                    .or_default()
                    .push(k.score);
            }
        }
    }
    let mut probe_ids: Vec<String> = Vec::new();
    for s in &scores {
        if let Some(p) = &s.probe
            && !probe_ids.contains(p)
        {
            probe_ids.push(p.clone());
        }
    }
    let probes = probe_ids
        .into_iter()
        .filter_map(|p| {
            let mut runs: Vec<(&QuestionScore, &Trace)> = scores
                .iter()
                .filter(|s| s.probe.as_deref() == Some(p.as_str()))
                .filter_map(|s| traces_by_key(s).map(|t| (s, t)))
                .collect();
            runs.sort_by_key(|(s, _)| s.repeat);
            let expect = &runs.first()?.1.expect;
            let fact_and_link = matches!(expect, Expect::Answerable { .. }).then(|| {
                mean(
                    &runs
                        .iter()
                        .map(|(s, _)| {
                            let fact = s
                                .knowledge
                                .as_ref()
                                .is_some_and(|k| k.stated.iter().any(|x| *x));
                            f(s.error.is_none() && fact && s.source_hit.unwrap_or(true))
                        })
                        .collect::<Vec<_>>(),
                )
                .unwrap_or(0.0)
            });
            let declined =
                matches!(expect, Expect::Thin { .. } | Expect::Unanswerable).then(|| {
                    mean(
                        &runs
                            .iter()
                            .map(
                                |(s, _)| f(s.error.is_none() && s.hallucination.grounded_decline()),
                            )
                            .collect::<Vec<_>>(),
                    )
                    .unwrap_or(0.0)
                });
            Some(ProbeSummary {
                probe: p,
                runs: runs.len(),
                fact_and_link,
                declined,
                voice: mean(&runs.iter().map(|(s, _)| s.voice.score).collect::<Vec<_>>())
                    .unwrap_or(0.0),
                example: runs
                    .first()
                    .map(|(_, t)| t.answer.clone())
                    .unwrap_or_default(),
            })
        })
        .collect();
    let summary = BackendSummary {
        backend: meta.id.clone(),
        label: meta.label.clone(),
        retrieval: meta.retrieval,
        answers: scores.len(),
        errors,
        knowledge: estimate(&knowledge_values),
        source_hit: estimate(&hits),
        declined: estimate(&declined),
        asserted: estimate(&asserted),
        unsupported_per_answer: estimate(&unsupported),
        unsupported_rate: (specifics > 0)
            .then(|| unsupported.iter().sum::<f64>() / specifics as f64),
        voice: estimate(&voiced),
        voice_all: estimate(&voice_all),
        leaks: scores.iter().filter(|s| !s.leaks.is_empty()).count(),
        loops: scores.iter().filter(|s| s.loops.is_some()).count(),
        ttft_p50_ms: quantile(&ttft, 0.5),
        ttft_p90_ms: quantile(&ttft, 0.9),
        total_p50_ms: quantile(&total, 0.5),
        total_p90_ms: quantile(&total, 0.9),
        input_tokens_mean: mean(&tin),
        output_tokens_mean: mean(&tout),
        cost_per_1000,
        model: meta.model.clone(),
        knowledge_by_group: groups
            .iter()
            .filter_map(|(g, v)| estimate(v).map(|e| (g.clone(), e)))
            .collect(),
        probes,
    };
    (summary, scores)
}

/// Summarises a run.
pub fn summarise_run(
    meta: &Meta,
    traces: &BTreeMap<String, Vec<Trace>>,
    corpus: &Corpus,
    prices: &Prices,
) -> (Summary, Vec<QuestionScore>) {
    let mut all = Vec::new();
    let backends = meta
        .backends
        .iter()
        .map(|b| {
            let (s, scores) = summarise(
                b,
                traces.get(&b.id).map_or(&[][..], Vec::as_slice),
                corpus,
                prices,
            );
            all.extend(scores);
            s
        })
        .collect();
    (
        Summary {
            version: crate::trace::FORMAT_VERSION,
            endpoint: meta.endpoint.clone(),
            backends,
        },
        all,
    )
}
