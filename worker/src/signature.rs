//! Signing the twin's answers. The widget sends earlier answers back as history; without a signature a
//! client could send a made-up "earlier answer" carrying instructions, and the model would read them as
//! its own words. The worker signs each answer it streams (HMAC-SHA256 over the backend id and the text,
//! sent in `done`) and keeps only earlier answers whose signature checks out.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What every signed message starts with, so a signature made for anything else never verifies here.
const DOMAIN: &[u8] = b"twin-answer-v1\0";

/// The key answers are signed with (the `HISTORY_KEY` secret).
#[derive(Clone)]
pub struct AnswerKey(Vec<u8>);

impl AnswerKey {
    /// A key from secret bytes.
    pub fn new(secret: &[u8]) -> AnswerKey {
        AnswerKey(secret.to_vec())
    }

    fn mac(&self, backend: &str, text: &str) -> Hmac<Sha256> {
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(DOMAIN);
        mac.update(backend.as_bytes());
        mac.update(b"\0");
        mac.update(text.as_bytes());
        mac
    }

    /// The signature of `text` as `backend`'s answer: 64 lowercase hex digits.
    pub fn sign(&self, backend: &str, text: &str) -> String {
        self.mac(backend, text)
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `signature` is this key's for `text` as `backend`'s answer (compared in constant time).
    pub fn verify(&self, backend: &str, text: &str, signature: &str) -> bool {
        let Some(bytes) = from_hex(signature) else {
            return false;
        };
        self.mac(backend, text).verify_slice(&bytes).is_ok()
    }
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

    #[test]
    fn only_the_same_key_text_and_backend_verify() {
        let key = AnswerKey::new(b"k1");
        let sig = key.sign("rag", "I fixed the shed.");
        assert_eq!(sig.len(), 64);
        assert!(key.verify("rag", "I fixed the shed.", &sig));
        assert!(key.verify("rag", "I fixed the shed.", &sig.to_uppercase()));
        assert!(
            !key.verify("rag", "I fixed the shed!", &sig),
            "text changed"
        );
        assert!(
            !key.verify("tuned", "I fixed the shed.", &sig),
            "other backend"
        );
        assert!(!AnswerKey::new(b"k2").verify("rag", "I fixed the shed.", &sig));
        for bad in ["", "zz", &sig[..62], "é"] {
            assert!(!key.verify("rag", "I fixed the shed.", bad), "{bad}");
        }
    }
}
