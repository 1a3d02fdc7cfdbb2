//! `POST /api/chat`'s request: which backend, the conversation so far, and the limits that keep one
//! request small. Validation names the limit that was hit, so the widget (and a curl user) can fix it.

use crate::ErrorCode;
use serde::{Deserialize, Serialize};

/// Most turns (user and assistant messages) a conversation may send.
pub const MAX_TURNS: usize = 20;
/// Most characters in one reader message.
pub const MAX_MESSAGE_CHARS: usize = 2_000;
/// Most characters in one earlier answer sent back as history. Answers are longer than questions (600
/// tokens is about 2,500 characters); the worker trims history to its backend's budget anyway.
pub const MAX_ANSWER_CHARS: usize = 12_000;
/// Most characters in an answer's signature (the worker's are 64 hex digits).
pub const MAX_SIGNATURE_CHARS: usize = 128;
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
    /// On an earlier answer: the signature the worker sent in its `done` event. The worker keeps only
    /// answers it signed itself, so a client cannot put words in the twin's mouth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl ChatMessage {
    /// A reader's message.
    pub fn user(content: impl Into<String>) -> ChatMessage {
        ChatMessage {
            role: Role::User,
            content: content.into(),
            signature: None,
        }
    }

    /// An earlier answer, with the signature its `done` event carried.
    pub fn assistant(content: impl Into<String>, signature: Option<String>) -> ChatMessage {
        ChatMessage {
            role: Role::Assistant,
            content: content.into(),
            signature,
        }
    }
}

/// Whether `text` says nothing: only whitespace, control characters, or invisible format characters
/// (zero-width spaces and joiners, direction marks, the byte-order mark, soft hyphens).
pub fn is_blank(text: &str) -> bool {
    text.chars().all(|c| c.is_whitespace() || is_invisible(c))
}

/// Whether `c` shows nothing of its own but can change how text around it shows: a control character
/// or an invisible format character (zero-width spaces and joiners, direction marks and overrides, the
/// byte-order mark, soft hyphens, variation selectors, tags).
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}'
            | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E007F}')
}

/// The first character of `text` a reader has no business sending: a control character other than tab
/// and line breaks (a NUL, an escape, C1 controls) or a bidirectional embedding, override or isolate
/// (`U+202A`-`U+202E`, `U+2066`-`U+2069`, which can make shown text read differently from what it
/// is). Zero-width joiners and direction marks stay allowed: scripts and emoji need them.
pub fn forbidden_char(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

/// A JSON request body of at most `max` bytes, read as `T`: the refusal names the first problem (size,
/// UTF-8, JSON syntax, then shape), saying the body should be `what`.
pub fn parse_body<T: serde::de::DeserializeOwned>(
    body: &[u8],
    max: usize,
    what: &str,
) -> Result<T, RequestError> {
    if body.len() > max {
        return Err(RequestError::new(
            ErrorCode::BodyTooLarge,
            format!("the body is {} bytes; the limit is {max}", body.len()),
        ));
    }
    let text = std::str::from_utf8(body).map_err(|e| {
        RequestError::new(
            ErrorCode::InvalidUtf8,
            format!("the body is not UTF-8 (at byte {})", e.valid_up_to()),
        )
    })?;
    serde_json::from_str(text).map_err(|e| {
        let code = if e.is_data() {
            ErrorCode::InvalidRequest
        } else {
            ErrorCode::InvalidJson
        };
        RequestError::new(code, format!("the body is not {what}: {e}"))
    })
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
    /// Ask the model now even when the worker holds a cached answer to this probe ("ask live").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub live: bool,
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
        let req: ChatRequest = parse_body(body, MAX_BODY_BYTES, "a chat request")?;
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
            let (limit, whose) = match m.role {
                Role::User => (MAX_MESSAGE_CHARS, "message"),
                Role::Assistant => (MAX_ANSWER_CHARS, "earlier answer (message"),
            };
            if chars > limit {
                let close = if m.role == Role::Assistant { ")" } else { "" };
                return Err(RequestError::new(
                    ErrorCode::MessageTooLong,
                    format!(
                        "{whose} {}{close} has {chars} characters; the limit is {limit}",
                        i + 1
                    ),
                ));
            }
            if m.signature
                .as_ref()
                .is_some_and(|s| m.role == Role::User || s.chars().count() > MAX_SIGNATURE_CHARS)
            {
                return Err(RequestError::new(
                    ErrorCode::InvalidRequest,
                    format!(
                        "message {}: only an earlier answer carries a signature, of at most \
                         {MAX_SIGNATURE_CHARS} characters",
                        i + 1
                    ),
                ));
            }
            if is_blank(&m.content) {
                return Err(RequestError::new(
                    ErrorCode::EmptyMessage,
                    format!("message {} is empty", i + 1),
                ));
            }
            if let Some(c) = forbidden_char(&m.content).filter(|_| m.role == Role::User) {
                return Err(RequestError::new(
                    ErrorCode::InvalidRequest,
                    format!(
                        "message {} contains U+{:04X}, a control or text-direction character; \
                         remove it",
                        i + 1,
                        u32::from(c)
                    ),
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

    /// A request for `question` with as much of `history` (oldest first) as fits the worker's limits:
    /// at most [`MAX_TURNS`] messages and [`MAX_BODY_BYTES`] of JSON, starting with a reader's message.
    /// The oldest turns go first; an earlier answer over [`MAX_ANSWER_CHARS`] ends the history there.
    /// The question itself is always sent (the worker refuses it by name if it is too long).
    pub fn bounded(
        backend: &str,
        history: &[ChatMessage],
        question: &str,
        probe: Option<String>,
    ) -> ChatRequest {
        let usable = history
            .iter()
            .rposition(|m| {
                m.role == Role::Assistant && m.content.chars().count() > MAX_ANSWER_CHARS
                    || m.role == Role::User && m.content.chars().count() > MAX_MESSAGE_CHARS
            })
            .map_or(history, |i| &history[i + 1..]);
        let mut start = usable.len().saturating_sub(MAX_TURNS - 1);
        let mut req = ChatRequest {
            backend: backend.to_string(),
            messages: Vec::new(),
            probe,
            live: false,
        };
        loop {
            while start < usable.len() && usable[start].role != Role::User {
                start += 1;
            }
            req.messages = usable[start..].to_vec();
            req.messages.push(ChatMessage::user(question));
            let size = serde_json::to_vec(&req).map_or(usize::MAX, |b| b.len());
            if size <= MAX_BODY_BYTES || start >= usable.len() {
                return req;
            }
            start += 1;
        }
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
    fn control_and_direction_characters_are_refused_but_scripts_are_not() {
        assert_eq!(forbidden_char("tea\u{0}time"), Some('\u{0}'));
        assert_eq!(forbidden_char("\u{1b}[2J"), Some('\u{1b}'));
        assert_eq!(forbidden_char("a\u{85}b"), Some('\u{85}'));
        assert_eq!(forbidden_char("read \u{202e}this"), Some('\u{202e}'));
        assert_eq!(forbidden_char("a \u{2066}b\u{2069}"), Some('\u{2066}'));
        // Line breaks, tabs, joiners in emoji, direction marks in Hebrew and Arabic text stay.
        for ok in [
            "two\nlines\tand a tab\r\n",
            "👩\u{200d}💻",
            "שלום\u{200f} world",
            "مرحبا",
        ] {
            assert_eq!(forbidden_char(ok), None, "{ok:?}");
        }
        assert_eq!(
            code(r#"{"backend":"b","messages":[{"role":"user","content":"a\u0000b"}]}"#),
            "invalid_request"
        );
        assert_eq!(
            code(r#"{"backend":"b","messages":[{"role":"user","content":"\u0000"}]}"#),
            "empty_message"
        );
    }

    #[test]
    fn a_bounded_request_keeps_the_newest_turns_within_the_limits() {
        let answer = "word ".repeat(700); // 3,500 characters, over a reader's limit
        let mut history = Vec::new();
        for i in 0..15 {
            history.push(ChatMessage::user(format!("question {i}")));
            history.push(ChatMessage::assistant(answer.clone(), Some("s".into())));
        }
        let req = ChatRequest::bounded("rag", &history, "newest?", None);
        req.validate().expect("a bounded request passes validation");
        let size = serde_json::to_vec(&req).expect("json").len();
        assert!(size <= MAX_BODY_BYTES, "{size}");
        assert!(req.messages.len() <= MAX_TURNS && req.messages.len() >= 3);
        assert_eq!(req.messages[0].role, Role::User);
        assert_eq!(req.question(), "newest?");
        assert_eq!(req.messages[req.messages.len() - 3].content, "question 14");
        // An answer too long to send cuts the history there; the question still goes.
        let huge = [
            ChatMessage::user("a"),
            ChatMessage::assistant("x".repeat(MAX_ANSWER_CHARS + 1), None),
            ChatMessage::user("b"),
            ChatMessage::assistant("fine", None),
        ];
        let req = ChatRequest::bounded("rag", &huge, "c", Some("p".into()));
        let texts: Vec<&str> = req.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(texts, ["b", "fine", "c"]);
        assert_eq!(req.probe.as_deref(), Some("p"));
        assert_eq!(
            ChatRequest::bounded("rag", &[], "only", None)
                .messages
                .len(),
            1
        );
    }

    #[test]
    fn blank_means_nothing_visible() {
        assert!(is_blank("\u{0}\u{0}") && is_blank("\u{200B}\u{FEFF} \n") && is_blank(""));
        assert!(!is_blank("\u{200B}a") && !is_blank("é") && !is_blank("😀"));
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
        for blank in [
            r"\u0000\u0000",
            r"\u200b\u200d\ufeff",
            r"\u202e\u2066 \u0007",
        ] {
            assert_eq!(
                code(&format!(
                    r#"{{"backend":"rag","messages":[{{"role":"user","content":"{blank}"}}]}}"#
                )),
                "empty_message",
                "{blank}"
            );
        }
        assert_eq!(
            code(
                r#"{"backend":"rag","messages":[{"role":"user","content":"x","signature":"ab"}]}"#
            ),
            "invalid_request"
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
