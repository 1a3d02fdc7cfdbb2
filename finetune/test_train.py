"""Opt-in: runs train.py for 2 steps on a handful of examples. Needs the heavy dependencies
(`pip install -r finetune/requirements.txt`) and the Gemma weights (`scripts/models.sh`); not part of the
routine test run. Run: TWIN_FINETUNE_TESTS=1 python -m pytest finetune/test_train.py"""

import json
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.environ.get("TWIN_FINETUNE_TESTS") != "1", reason="opt-in: set TWIN_FINETUNE_TESTS=1")

import train  # noqa: E402


def test_two_steps_write_an_adapter(tmp_path: Path) -> None:
    rows = [{"messages": [{"role": "system", "content": "You are Ilse."},
                          {"role": "user", "content": f"Question {i}?"},
                          {"role": "assistant", "content": f"Kettle's on. Answer {i}. — Ilse"}]} for i in range(6)]
    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows))
    gguf = Path(os.environ.get("TWIN_GEMMA_GGUF", Path.home() / ".cache/twin/models/gemma-3-270m-q4_k_m.gguf"))
    assert train.main(["--base", str(gguf), "--train", str(data), "--valid", "", "--out", str(tmp_path / "out"),
                       "--max-steps", "2", "--grad-accum", "1", "--max-seq-len", "128"]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["steps"] == 2
    assert (tmp_path / "out" / "adapter" / "adapter_model.safetensors").exists()


def test_bad_jsonl_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": []}\n')
    with pytest.raises(SystemExit, match="bad.jsonl:1"):
        train.read_jsonl(str(bad))
