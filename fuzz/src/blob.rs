//! The index blob reader: a blob damaged in transit or on disk (bytes flipped, cut short, grown, or not a
//! blob at all) is refused with an error, never a panic; the intact one still opens.

use crate::{Budget, Outcome, Target, run_for};
use proptest::prelude::*;
use twin_index::{PackedIndex, blob};

pub const TARGET: Target = Target {
    name: "blob",
    what: "the index blob reader: a real blob with bytes flipped, cut, appended or replaced: refused with an error (checksum, framing), never a panic",
    ci_cases: 1_000,
    run: damaged,
};

/// One kind of damage, at positions given as fractions of the blob's length.
#[derive(Debug, Clone)]
enum Damage {
    Flip(Vec<(u16, u8)>),
    Truncate(u16),
    Append(Vec<u8>),
    Garbage(Vec<u8>),
    /// Bytes changed and the checksum recomputed: only the framing guards what follows.
    FlipKeepingChecksum(Vec<(u16, u8)>),
}

fn damage() -> impl Strategy<Value = Damage> {
    let flips = prop::collection::vec((any::<u16>(), 1u8..=255), 1..8);
    prop_oneof![
        flips.clone().prop_map(Damage::Flip),
        any::<u16>().prop_map(Damage::Truncate),
        prop::collection::vec(any::<u8>(), 1..64).prop_map(Damage::Append),
        prop::collection::vec(any::<u8>(), 0..512).prop_map(Damage::Garbage),
        flips.prop_map(Damage::FlipKeepingChecksum),
    ]
}

fn at(len: usize, f: u16) -> usize {
    (len.saturating_sub(1)) * usize::from(f) / usize::from(u16::MAX)
}

fn damaged(budget: Budget) -> Outcome {
    let intact = match crate::query::blob() {
        Ok(b) => b,
        Err(e) => {
            return Outcome::setup_failed(format!("the fuzz blob could not be built: {e}"));
        }
    };
    run_for(budget, damage(), |d| {
        let mut bytes = intact.to_vec();
        let framing_only = matches!(d, Damage::FlipKeepingChecksum(_));
        match d {
            Damage::Flip(flips) | Damage::FlipKeepingChecksum(flips) => {
                // Only the framing (names, lengths, version) is flipped when the checksum is
                // recomputed: the files' own bytes are tantivy's, trusted once the checksum matches.
                let end = if framing_only {
                    bytes.len().min(64)
                } else {
                    bytes.len()
                };
                for (f, x) in flips {
                    let i = at(end, f);
                    bytes[i] ^= x;
                }
                if framing_only {
                    let n = bytes.len() - 4;
                    let crc = crc32fast::hash(&bytes[..n]);
                    bytes[n..].copy_from_slice(&crc.to_le_bytes());
                }
            }
            Damage::Truncate(f) => bytes.truncate(at(bytes.len(), f)),
            Damage::Append(extra) => bytes.extend(extra),
            Damage::Garbage(g) => bytes = g,
        }
        let changed = bytes != intact;
        let unpacked = blob::unpack(&bytes);
        let opened = PackedIndex::open_vec(bytes);
        if changed && !framing_only {
            prop_assert!(unpacked.is_err(), "a damaged blob unpacked");
            prop_assert!(opened.is_err(), "a damaged blob opened");
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `blob` (`FlipKeepingChecksum([(65535, 148)])`): the framing changed under a recomputed
    /// checksum so that one file is 4 to 7 bytes long; tantivy's footer check read its last 8 bytes
    /// and panicked. It is refused now.
    #[test]
    fn blob_a_file_shorter_than_a_footer_is_refused() {
        let intact = crate::query::blob().expect("the fuzz blob");
        let mut bytes = intact.to_vec();
        let i = at(bytes.len().min(64), 65535);
        bytes[i] ^= 148;
        let n = bytes.len() - 4;
        let crc = crc32fast::hash(&bytes[..n]);
        bytes[n..].copy_from_slice(&crc.to_le_bytes());
        let entries = blob::unpack(&bytes).expect("the framing still reads");
        assert!(
            entries.iter().any(|e| (4..8).contains(&e.range.len())),
            "the replayed flip no longer makes a 4-7 byte file (the fuzz blob changed): {:?}",
            entries.iter().map(|e| e.range.len()).collect::<Vec<_>>()
        );
        match PackedIndex::open_vec(bytes) {
            Ok(_) => panic!("a file shorter than its footer opened"),
            Err(e) => assert!(e.to_string().contains("damaged"), "{e}"),
        }
    }
}
