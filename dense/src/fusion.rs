//! Dense ranking by cosine similarity over embedded passages, and reciprocal rank fusion of rankings.

use std::collections::HashMap;

/// Passages' vectors with their ids (the ids the other ranking uses too).
pub struct DenseIndex {
    pub ids: Vec<usize>,
    pub vectors: Vec<Vec<f32>>,
}

impl DenseIndex {
    /// The `k` passage ids most similar to `query` (a unit vector), best first. Brute force: a few
    /// hundred passages × 384 floats is nothing.
    pub fn top(&self, query: &[f32], k: usize) -> Vec<(usize, f32)> {
        let mut scored: Vec<(usize, f32)> = self
            .ids
            .iter()
            .zip(&self.vectors)
            .map(|(id, v)| (*id, v.iter().zip(query).map(|(a, b)| a * b).sum()))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(k);
        scored
    }
}

/// Reciprocal rank fusion (Cormack et al., 2009): each id scores Σ 1 / (k + rank) over the rankings it
/// appears in (rank from 1), best first; `k` = 60 is the paper's constant.
pub fn reciprocal_rank_fusion(rankings: &[Vec<usize>], k: f64) -> Vec<usize> {
    let mut score: HashMap<usize, f64> = HashMap::new();
    for ranking in rankings {
        for (i, id) in ranking.iter().enumerate() {
            *score.entry(*id).or_default() += 1.0 / (k + i as f64 + 1.0);
        }
    }
    let mut fused: Vec<(usize, f64)> = score.into_iter().collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    fused.into_iter().map(|(id, _)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fusion_rewards_agreement() {
        let fused = reciprocal_rank_fusion(&[vec![1, 2, 3], vec![3, 1, 4]], 60.0);
        assert_eq!(
            fused[0], 1,
            "first and second beats third and first: {fused:?}"
        );
        assert_eq!(fused[1], 3);
        assert_eq!(fused.len(), 4);
        assert!(reciprocal_rank_fusion(&[], 60.0).is_empty());
    }

    #[test]
    fn dense_top_ranks_by_cosine() {
        let index = DenseIndex {
            ids: vec![7, 8, 9],
            vectors: vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![0.6, 0.8]],
        };
        let top = index.top(&[0.0, 1.0], 2);
        assert_eq!(top.iter().map(|t| t.0).collect::<Vec<_>>(), [8, 9]);
    }
}
