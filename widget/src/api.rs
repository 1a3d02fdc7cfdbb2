//! Talking to the worker: `/api/config`, `/api/warm`, the streamed `/api/chat` and `/api/feedback`. The widget never
//! talks to a model and holds no secret.

use crate::sse;
use futures_util::StreamExt;
use twin_shared::{ChatEvent, ChatRequest, FeedbackReceipt, FeedbackRequest, PublicConfig};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Request, RequestInit, Response};

/// A failed request, in words for the reader.
pub type ApiResult<T> = Result<T, String>;

/// Why a request failed: the words for the reader, whether asking again unchanged may work, and the
/// worker's code when it refused (empty for a failed connection or stream).
#[derive(Clone, Debug)]
pub struct Refused {
    pub message: String,
    pub retryable: bool,
    pub code: String,
}

impl From<String> for Refused {
    /// A failure of the connection or the stream itself: asking again may work.
    fn from(message: String) -> Refused {
        Refused {
            message,
            retryable: true,
            code: String::new(),
        }
    }
}

async fn fetch(url: &str, init: &RequestInit) -> ApiResult<Response> {
    let window = web_sys::window().ok_or("no window")?;
    let req =
        Request::new_with_str_and_init(url, init).map_err(|_| "bad request URL".to_string())?;
    let resp = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(|_| {
            "the twin could not be reached; check your connection and try again".to_string()
        })?;
    resp.dyn_into::<Response>()
        .map_err(|_| "unexpected response".to_string())
}

async fn text(resp: &Response) -> String {
    match resp.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The message of a refused request's `{"error": {"message"}}` body.
async fn refusal(resp: &Response) -> String {
    refused(resp).await.message
}

/// A refused request: its message, code, and whether asking again may work (the body's `retryable`;
/// from a worker that does not say, only a rate limit or a server error may pass later).
async fn refused(resp: &Response) -> Refused {
    let body = text(resp).await;
    let status = resp.status();
    let error = serde_json::from_str::<twin_shared::ApiError>(&body)
        .ok()
        .map(|e| e.error);
    let retryable = error
        .as_ref()
        .map_or(status == 429 || status >= 500, |e| e.retryable);
    let (code, msg) = error.map(|e| (e.code, e.message)).unwrap_or_default();
    let message = if status == 429 {
        let after = resp
            .headers()
            .get("retry-after")
            .ok()
            .flatten()
            .unwrap_or_else(|| "60".into());
        format!("Too many questions at once. Try again in {after} seconds.")
    } else if msg.is_empty() {
        format!("The twin answered HTTP {status}.")
    } else {
        msg
    };
    Refused {
        message,
        retryable,
        code,
    }
}

/// `GET /api/config`; a failure says whether loading it again may work (an unreachable worker, a rate
/// limit or a passing server error may; a configuration the worker refuses or that cannot be read will
/// not until the site's owner fixes it).
pub async fn config(endpoint: &str) -> Result<PublicConfig, Refused> {
    let init = RequestInit::new();
    init.set_method("GET");
    let resp = fetch(&format!("{endpoint}/api/config"), &init).await?;
    if !resp.ok() {
        return Err(refused(&resp).await);
    }
    serde_json::from_str(&text(&resp).await).map_err(|e| Refused {
        message: format!("the twin's configuration is unreadable: {e}"),
        retryable: false,
        code: String::new(),
    })
}

/// `POST /api/warm`, fire and forget: the GPU's cold start overlaps the reader's reading.
pub async fn warm(endpoint: &str) {
    let init = RequestInit::new();
    init.set_method("POST");
    let _ = fetch(&format!("{endpoint}/api/warm"), &init).await;
}

/// `POST /api/chat`: calls `on_event` for each event as it arrives. Returns an error text if the request
/// was refused or the stream broke (events already delivered stay delivered).
pub async fn chat(
    endpoint: &str,
    req: &ChatRequest,
    signal: &AbortSignal,
    mut on_event: impl FnMut(ChatEvent),
) -> Result<(), Refused> {
    let body = serde_json::to_string(req).map_err(|e| e.to_string())?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&body));
    init.set_signal(Some(signal));
    let headers = web_sys::Headers::new().map_err(|_| "headers".to_string())?;
    let _ = headers.set("content-type", "application/json");
    init.set_headers(&headers);
    let resp = fetch(&format!("{endpoint}/api/chat"), &init).await?;
    if !resp.ok() {
        return Err(refused(&resp).await);
    }
    let body = resp
        .body()
        .ok_or_else(|| "the answer had no body".to_string())?;
    let mut events = Box::pin(sse::chat_events(body));
    while let Some(item) = events.next().await {
        match item {
            Ok(event) => on_event(event),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// `POST /api/feedback`: a verdict or a jailbreak report on one answer.
pub async fn feedback(endpoint: &str, req: &FeedbackRequest) -> ApiResult<FeedbackReceipt> {
    let body = serde_json::to_string(req).map_err(|e| e.to_string())?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&body));
    let headers = web_sys::Headers::new().map_err(|_| "headers".to_string())?;
    let _ = headers.set("content-type", "application/json");
    init.set_headers(&headers);
    let resp = fetch(&format!("{endpoint}/api/feedback"), &init).await?;
    if resp.status() == 429 {
        return Err("too many requests from here right now; try again in a minute".into());
    }
    if !resp.ok() {
        return Err(refusal(&resp).await);
    }
    serde_json::from_str(&text(&resp).await).map_err(|e| format!("an unreadable receipt: {e}"))
}

/// Copies text to the clipboard.
pub async fn copy(text: &str) -> bool {
    let Some(w) = web_sys::window() else {
        return false;
    };
    JsFuture::from(w.navigator().clipboard().write_text(text))
        .await
        .is_ok()
}
