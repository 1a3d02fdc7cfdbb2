"""The training sample: spread across strategies and sources, reproducible, and all rows when asked for
all. Standard library only (train.py imports torch lazily), so it runs in the default test run
(scripts/test.sh): cd finetune && python3 -B -m unittest test_sample"""

import json
import tempfile
import unittest
from collections import Counter
from pathlib import Path

import train


def rows(strategy: str, sources: int, per_source: int) -> list[dict]:
    return [{"messages": [{"role": "user", "content": f"{strategy}-{s}-{i}"}],
             "meta": {"strategy": strategy, "source": f"{strategy}-post-{s}"}}
            for s in range(sources) for i in range(per_source)]


class SampleTest(unittest.TestCase):
    def setUp(self) -> None:
        # Shaped like the tiny dataset: voice from many posts first, refusals last.
        self.all = rows("voice", 20, 8) + rows("refusals", 11, 2)

    def test_a_small_sample_spans_strategies_in_proportion_and_sources_evenly(self) -> None:
        picked = train.sample_rows(self.all, 64, seed=42)
        self.assertEqual(len(picked), 64)
        # 160 and 22 of 182 rows: 56.3 and 7.7 of 64.
        self.assertEqual(train.mix(picked)["strategies"], {"refusals": 8, "voice": 56})
        for strategy in ("voice", "refusals"):
            per_source = Counter(r["meta"]["source"] for r in picked if r["meta"]["strategy"] == strategy)
            self.assertLessEqual(max(per_source.values()) - min(per_source.values()), 1, per_source)
        voice_sources = {r["meta"]["source"] for r in picked if r["meta"]["strategy"] == "voice"}
        self.assertEqual(len(voice_sources), 20, "every post, round robin")

    def test_the_sample_is_reproducible_and_the_seed_matters(self) -> None:
        a = train.sample_rows(self.all, 64, seed=42)
        self.assertEqual(a, train.sample_rows(self.all, 64, seed=42))
        self.assertNotEqual(a, train.sample_rows(self.all, 64, seed=7))
        self.assertEqual(len({json.dumps(r) for r in a}), 64, "no row twice")

    def test_zero_all_or_too_many_keeps_everything(self) -> None:
        for n in (0, len(self.all), 10_000):
            self.assertEqual(train.sample_rows(self.all, n, seed=1), self.all)

    def test_below_one_row_per_strategy_the_biggest_keeps_its_row(self) -> None:
        picked = train.sample_rows(self.all, 1, seed=3)
        self.assertEqual(train.mix(picked)["strategies"], {"voice": 1})

    def test_rows_without_meta_are_counted_not_hidden(self) -> None:
        bare = [{"messages": r["messages"], "meta": {}} for r in self.all[:10]]
        picked = train.sample_rows(bare + self.all, 30, seed=1)
        self.assertEqual(len(picked), 30)
        m = train.mix(bare + self.all)
        self.assertEqual(m["without_meta"], 10)
        self.assertIn("unknown", m["strategies"])

    def test_training_uses_the_sample(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            data = Path(d) / "train.jsonl"
            data.write_text("\n".join(json.dumps(r) for r in self.all))
            args = train.parse_args(["--base", "x", "--train", str(data), "--max-examples", "64", "--seed", "42"])
            self.assertEqual(train.load_training_rows(args), train.sample_rows(self.all, 64, seed=42))

    def test_rows_keep_their_meta_and_bad_lines_name_file_and_line(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            good = Path(d) / "train.jsonl"
            good.write_text(json.dumps(self.all[0]) + "\n")
            self.assertEqual(train.read_jsonl(str(good))[0]["meta"]["strategy"], "voice")
            bad = Path(d) / "bad.jsonl"
            bad.write_text("{\n")
            with self.assertRaises(SystemExit) as e:
                train.read_jsonl(str(bad))
            self.assertIn("bad.jsonl:1", str(e.exception))


if __name__ == "__main__":
    unittest.main()
