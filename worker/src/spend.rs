//! The daily spend cap: tokens each capped backend used today (UTC), counted in a Durable Object, one
//! object per backend and day (`SPEND` binding, class `SpendCounter`). An answer is checked before it is
//! asked and charged its reported usage after; answers running at the same moment are all let through,
//! so the cap can be passed by at most those answers' tokens.

use serde::{Deserialize, Serialize};
use worker::{
    DurableObject, Env, Method, Request, RequestInit, Response, Result, State, durable_object,
};

/// The Durable Object binding.
const BINDING: &str = "SPEND";
const DAY_MS: f64 = 86_400_000.0;

/// What the counter answers: today's tokens, and for a reservation whether it was granted.
#[derive(Debug, Serialize, Deserialize)]
struct Counted {
    tokens: u64,
    #[serde(default)]
    granted: bool,
}

/// A request to the counter.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Op {
    /// Add `tokens` unless today's count has reached `cap`.
    Reserve { tokens: u64, cap: u64 },
    /// Replace a reservation of `reserved` tokens by the `used` ones.
    Settle { reserved: u64, used: u64 },
}

/// One backend's tokens for one UTC day: `GET /` reads them, `POST /` with an [`Op`] changes them. A
/// request's read and write run without another request in between (the object's input gate), so a
/// reservation is all-or-nothing.
#[durable_object]
pub struct SpendCounter {
    state: State,
}

impl DurableObject for SpendCounter {
    fn new(state: State, _env: Env) -> Self {
        SpendCounter { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let storage = self.state.storage();
        let mut tokens: u64 = storage.get("tokens").await?.unwrap_or(0);
        let mut granted = false;
        if req.method() == Method::Post {
            match req.json::<Op>().await? {
                Op::Reserve { tokens: t, cap } => {
                    if tokens < cap {
                        tokens = tokens.saturating_add(t);
                        granted = true;
                    }
                }
                Op::Settle { reserved, used } => {
                    tokens = tokens.saturating_sub(reserved).saturating_add(used);
                }
            }
            storage.put("tokens", tokens).await?;
        }
        Response::from_json(&Counted { tokens, granted })
    }
}

/// What a reservation came to.
pub enum Reserved {
    Granted,
    /// The budget is spent: this many tokens today.
    Spent(u64),
}

/// A backend's budget for today.
pub struct Budget {
    stub: worker::Stub,
    /// The cap, in tokens.
    pub cap: u64,
    /// Seconds until the budget resets (midnight UTC).
    pub reset_s: u64,
}

impl Budget {
    /// Today's budget of the backend `id` capped at `cap`; an error when the binding is missing.
    pub fn today(env: &Env, id: &str, cap: u64) -> Result<Budget> {
        let now = crate::clock::now_ms();
        let day = (now / DAY_MS).floor();
        let reset_s = (((day + 1.0) * DAY_MS - now) / 1000.0).ceil().max(1.0) as u64;
        let stub = env
            .durable_object(BINDING)?
            .id_from_name(&format!("{id}/{day}"))?
            .get_stub()?;
        Ok(Budget { stub, cap, reset_s })
    }

    async fn post(&self, op: &Op) -> Result<Counted> {
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_body(Some(serde_json::to_string(op)?.into()));
        let req = Request::new_with_init("https://spend/", &init)?;
        let mut resp = self.stub.fetch_with_request(req).await?;
        resp.json().await
    }

    /// Reserves `tokens` of today's budget, unless it is spent.
    pub async fn reserve(&self, tokens: u64) -> Result<Reserved> {
        let counted = self
            .post(&Op::Reserve {
                tokens,
                cap: self.cap,
            })
            .await?;
        Ok(if counted.granted {
            Reserved::Granted
        } else {
            Reserved::Spent(counted.tokens)
        })
    }

    /// Replaces a reservation by the tokens the answer used.
    pub async fn settle(&self, reserved: u64, used: u64) -> Result<()> {
        self.post(&Op::Settle { reserved, used }).await.map(|_| ())
    }
}
