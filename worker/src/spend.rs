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

/// What the counter answers.
#[derive(Debug, Serialize, Deserialize)]
struct Spent {
    tokens: u64,
}

/// A charge to the counter.
#[derive(Debug, Serialize, Deserialize)]
struct Charge {
    tokens: u64,
}

/// One backend's tokens for one UTC day. `GET /` reads them; `POST /` with `{"tokens": n}` adds `n`
/// (storage operations in one request run without interleaving, so no charge is lost).
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
        if req.method() == Method::Post {
            let charge: Charge = req.json().await?;
            tokens = tokens.saturating_add(charge.tokens);
            storage.put("tokens", tokens).await?;
        }
        Response::from_json(&Spent { tokens })
    }
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

    /// Tokens used today.
    pub async fn spent(&self) -> Result<u64> {
        let mut resp = self.stub.fetch_with_str("https://spend/").await?;
        Ok(resp.json::<Spent>().await?.tokens)
    }

    /// Adds `tokens` to today's count.
    pub async fn charge(&self, tokens: u64) -> Result<()> {
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_body(Some(serde_json::to_string(&Charge { tokens })?.into()));
        let req = Request::new_with_init("https://spend/", &init)?;
        self.stub.fetch_with_request(req).await?;
        Ok(())
    }
}
