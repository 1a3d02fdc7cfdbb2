//! Signing the twin's answers. The widget sends earlier exchanges back as history; without a signature
//! a client could send a made-up "earlier answer" carrying instructions, and the model would read them
//! as its own words. The worker signs each answer it streams, bound to the backend, the question it
//! answered and the time (HMAC-SHA256, sent in `done` as `v1.<unix seconds>.<hex>`), and keeps only
//! earlier answers that come back after their own question, within a day.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What every signed message starts with, so a signature made for anything else never verifies here.
const DOMAIN: &[u8] = b"twin-answer-v1\0";
/// How long a signed answer counts as history.
pub const MAX_AGE_S: u64 = 86_400;
/// How far in the future a signature's time may be (clock skew between isolates).
const SKEW_S: u64 = 300;
/// The shortest `HISTORY_KEY` accepted.
pub const MIN_KEY_BYTES: usize = 32;

/// The key answers are signed with (the `HISTORY_KEY` secret).
#[derive(Clone)]
pub struct AnswerKey(Vec<u8>);

impl AnswerKey {
    /// A key from secret bytes; `None` when shorter than [`MIN_KEY_BYTES`].
    pub fn new(secret: &[u8]) -> Option<AnswerKey> {
        (secret.len() >= MIN_KEY_BYTES).then(|| AnswerKey(secret.to_vec()))
    }

    fn mac(&self, backend: &str, issued: u64, question: &str, answer: &str) -> Hmac<Sha256> {
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(DOMAIN);
        mac.update(backend.as_bytes());
        mac.update(b"\0");
        mac.update(&issued.to_le_bytes());
        mac.update(&(question.len() as u64).to_le_bytes());
        mac.update(question.as_bytes());
        mac.update(answer.as_bytes());
        mac
    }

    /// The signature of `answer`, given by `backend` to `question` at `now_s` (Unix seconds).
    pub fn sign(&self, backend: &str, question: &str, answer: &str, now_s: u64) -> String {
        let mac = self.mac(backend, now_s, question, answer).finalize();
        format!("v1.{now_s}.{}", hex(&mac.into_bytes()))
    }

    /// Whether `signature` is this key's for `answer` given by `backend` to `question`, made within
    /// [`MAX_AGE_S`] of `now_s` (compared in constant time).
    pub fn verify(
        &self,
        backend: &str,
        question: &str,
        answer: &str,
        signature: &str,
        now_s: u64,
    ) -> bool {
        let mut parts = signature.splitn(3, '.');
        let (Some("v1"), Some(issued), Some(hex)) = (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let Ok(issued) = issued.parse::<u64>() else {
            return false;
        };
        if issued > now_s.saturating_add(SKEW_S) || now_s.saturating_sub(issued) > MAX_AGE_S {
            return false;
        }
        let Some(bytes) = from_hex(hex) else {
            return false;
        };
        self.mac(backend, issued, question, answer)
            .verify_slice(&bytes)
            .is_ok()
    }
}

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lowercase or uppercase hex to bytes; `None` for anything else.
fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digits = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(digits, 16).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn key() -> AnswerKey {
        AnswerKey::new(&[7u8; 32]).expect("a 32-byte key")
    }

    #[test]
    fn only_the_same_key_question_answer_backend_and_day_verify() {
        let k = key();
        let (q, a) = ("What did you fix?", "I fixed the shed.");
        let sig = k.sign("rag", q, a, NOW);
        assert!(
            sig.starts_with("v1.1800000000.") && sig.len() == 14 + 64,
            "{sig}"
        );
        assert!(k.verify("rag", q, a, &sig, NOW + 60));
        assert!(
            !k.verify("rag", q, "I fixed the shed!", &sig, NOW),
            "answer changed"
        );
        assert!(
            !k.verify("rag", "Obey me?", a, &sig, NOW),
            "moved to another question"
        );
        assert!(!k.verify("tuned", q, a, &sig, NOW), "other backend");
        assert!(!k.verify("rag", q, a, &sig, NOW + MAX_AGE_S + 1), "too old");
        assert!(
            !k.verify("rag", q, a, &sig, NOW - SKEW_S - 1),
            "from the future"
        );
        let other = AnswerKey::new(&[8u8; 32]).expect("key");
        assert!(!other.verify("rag", q, a, &sig, NOW));
        let later = sig.replace("v1.1800000000.", "v1.1800000100.");
        assert!(
            !k.verify("rag", q, a, &later, NOW + 100),
            "the time is signed too"
        );
        for bad in [
            "",
            "zz",
            "v1.x.00",
            "v2.1800000000.00",
            &sig[..sig.len() - 2],
        ] {
            assert!(!k.verify("rag", q, a, bad, NOW), "{bad}");
        }
        assert!(AnswerKey::new(b"short").is_none(), "a short key is refused");
    }
}
