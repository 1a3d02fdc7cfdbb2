//! `POST /api/chat`'s request: which backend, the conversation so far, and the limits that keep one
//! request small. Validation names the limit that was hit, so the widget (and a curl user) can fix it.

use crate::ErrorCode;
use serde::{Deserialize, Serialize};

/// Most turns (user and assistant messages) a conversation may send.
pub const MAX_TURNS: usize = 20;
/// Most characters in one message.
pub const MAX_MESSAGE_CHARS: usize = 2_000;
/// Most bytes in a request body.
pub const MAX_BODY_BYTES: usize = 32 * 1024;

/// Who said a message. Only readers and the twin speak; there is no system role on the wire, so reader
/// text can never become a system instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

/// The body of `POST /api/chat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// A backend id from `/api/config` (`rag`, `tuned`, ...).
    pub backend: String,
    /// The conversation, oldest first, ending with the reader's new question.
    pub messages: Vec<ChatMessage>,
    /// The probe id when a probe button asked the question (for logs and the eval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<String>,
}

/// Why a request was refused; `code` is stable for programs, the message is for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RequestError {
    pub code: ErrorCode,
    pub message: String,
}

impl RequestError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> RequestError {
        RequestError {
            code,
            message: message.into(),
        }
    }
}

impl ChatRequest {
    /// Parses and checks a request body: size, UTF-8, JSON shape, then [`ChatRequest::validate`].
    pub fn parse(body: &[u8]) -> Result<ChatRequest, RequestError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(RequestError::new(
                ErrorCode::BodyTooLarge,
                format!(
                    "the body is {} bytes; the limit is {MAX_BODY_BYTES}",
                    body.len()
                ),
            ));
        }
        let text = std::str::from_utf8(body).map_err(|e| {
            RequestError::new(
                ErrorCode::InvalidUtf8,
                format!("the body is not UTF-8 (at byte {})", e.valid_up_to()),
            )
        })?;
        let req: ChatRequest = serde_json::from_str(text).map_err(|e| {
            let code = if e.is_data() {
                ErrorCode::InvalidRequest
            } else {
                ErrorCode::InvalidJson
            };
            RequestError::new(code, format!("the body is not a chat request: {e}"))
        })?;
        req.validate()?;
        Ok(req)
    }

    /// Checks the limits and the conversation's shape.
    pub fn validate(&self) -> Result<(), RequestError> {
        if self.messages.is_empty() {
            return Err(RequestError::new(
                ErrorCode::NoMessages,
                "messages is empty; send at least the reader's question",
            ));
        }
        if self.messages.len() > MAX_TURNS {
            return Err(RequestError::new(
                ErrorCode::TooManyTurns,
                format!(
                    "{} messages; the limit is {MAX_TURNS} turns, so start a new conversation",
                    self.messages.len()
                ),
            ));
        }
        for (i, m) in self.messages.iter().enumerate() {
            let chars = m.content.chars().count();
            if chars > MAX_MESSAGE_CHARS {
                return Err(RequestError::new(
                    ErrorCode::MessageTooLong,
                    format!(
                        "message {} has {chars} characters; the limit is {MAX_MESSAGE_CHARS}",
                        i + 1
                    ),
                ));
            }
            if m.content.trim().is_empty() {
                return Err(RequestError::new(
                    ErrorCode::EmptyMessage,
                    format!("message {} is empty", i + 1),
                ));
            }
        }
        if self.messages.last().map(|m| m.role) != Some(Role::User) {
            return Err(RequestError::new(
                ErrorCode::LastNotUser,
                "the last message must be the reader's (role \"user\")",
            ));
        }
        Ok(())
    }

    /// The reader's newest question.
    pub fn question(&self) -> &str {
        self.messages.last().map_or("", |m| m.content.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(body: &str) -> &'static str {
        ChatRequest::parse(body.as_bytes())
            .expect_err("should be refused")
            .code
            .as_str()
    }

    #[test]
    fn accepts_a_conversation() {
        let r =
            ChatRequest::parse(br#"{"backend":"rag","messages":[{"role":"user","content":"hi"}]}"#)
                .expect("ok");
        assert_eq!(r.question(), "hi");
    }

    #[test]
    fn names_each_problem() {
        assert_eq!(code("{"), "invalid_json");
        assert_eq!(code(r#"{"backend":"rag"}"#), "invalid_request");
        assert_eq!(
            code(r#"{"backend":"rag","messages":"hi"}"#),
            "invalid_request"
        );
        assert_eq!(
            code(r#"{"backend":"rag","messages":[{"role":"system","content":"x"}]}"#),
            "invalid_request"
        );
        assert_eq!(code(r#"{"backend":"rag","messages":[]}"#), "no_messages");
        assert_eq!(
            code(r#"{"backend":"rag","messages":[{"role":"user","content":"  "}]}"#),
            "empty_message"
        );
        assert_eq!(
            code(r#"{"backend":"rag","messages":[{"role":"assistant","content":"x"}]}"#),
            "last_not_user"
        );
        assert_eq!(
            code(r#"{"backend":"rag","messages":[{"role":"user","content":"x"}],"extra":1}"#),
            "invalid_request"
        );
        let long = format!(
            r#"{{"backend":"rag","messages":[{{"role":"user","content":"{}"}}]}}"#,
            "é".repeat(2001)
        );
        let e = ChatRequest::parse(long.as_bytes()).expect_err("long");
        assert_eq!(
            (e.code.as_str(), e.message.contains("2001 characters")),
            ("message_too_long", true)
        );
        let turns: Vec<String> = (0..21)
            .map(|_| r#"{"role":"user","content":"x"}"#.to_string())
            .collect();
        assert_eq!(
            code(&format!(
                r#"{{"backend":"rag","messages":[{}]}}"#,
                turns.join(",")
            )),
            "too_many_turns"
        );
        assert_eq!(
            ChatRequest::parse(&vec![b' '; MAX_BODY_BYTES + 1])
                .expect_err("big")
                .code
                .as_str(),
            "body_too_large"
        );
        assert_eq!(
            ChatRequest::parse(b"{\"backend\":\"\xff\"}")
                .expect_err("utf8")
                .code
                .as_str(),
            "invalid_utf8"
        );
    }
}
