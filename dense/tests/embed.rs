//! The real model, really run: all-MiniLM-L6-v2 (fetched and checksummed by scripts/embedder.sh, cached
//! outside the clone) puts a paraphrase nearer its sentence than an unrelated one, and the dense ranking
//! finds the passage a reader's own words describe.

use std::path::PathBuf;
use twin_dense::{DenseIndex, Embedder};

fn model_dir() -> PathBuf {
    let script = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/embedder.sh"
    ));
    let out = std::process::Command::new("bash")
        .arg(&script)
        .output()
        .expect("run scripts/embedder.sh");
    assert!(
        out.status.success(),
        "embedder.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .expect("a folder")
            .trim(),
    )
}

#[test]
fn paraphrases_land_nearer_than_unrelated_text() {
    let e = Embedder::load(&model_dir()).expect("model loads");
    let passages = [
        "I brush conformal coating onto the circuit boards so the salt air cannot corrode them.",
        "My sourdough starter is called Gerald and I feed him flour and water every evening.",
        "The touring bike has 36-spoke wheels and a dynamo hub for the lights.",
    ];
    let v = e.embed(&passages).expect("embed");
    assert_eq!(v.len(), 3);
    for x in &v {
        assert_eq!(x.len(), 384);
        let norm: f32 = x.iter().map(|a| a * a).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "unit length: {norm}");
    }
    let index = DenseIndex {
        ids: vec![0, 1, 2],
        vectors: v,
    };
    for (question, want) in [
        ("How do you protect the electronics from the sea air?", 0),
        ("What do you call your bread culture?", 1),
        ("How many spokes are on your bicycle wheels?", 2),
    ] {
        let q = e.embed(&[question]).expect("embed");
        let top = index.top(&q[0], 3);
        assert_eq!(top[0].0, want, "{question}: {top:?}");
        assert!(
            top[0].1 > top[2].1 + 0.1,
            "{question}: a clear margin {top:?}"
        );
    }
    assert!(e.embed(&[]).expect("nothing").is_empty());
}
