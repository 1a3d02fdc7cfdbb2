#!/usr/bin/env python3
"""LoRA fine-tune of a small Gemma on the author's writing, with TRL's SFTTrainer and PEFT.

Reads the chat JSONL that `twin dataset` writes. Uses Unsloth's fast path when CUDA and unsloth are
present, plain transformers otherwise (CPU works for the tiny run). Writes the PEFT adapter, optionally
the merged model (what vLLM serves), and a GGUF LoRA (what llama.cpp's `llama-server --lora` loads)
through llama.cpp's own converter. Every hyperparameter is a flag; see --help.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--base", required=True,
                   help="base model: a Hugging Face id or folder, or a .gguf file (loaded dequantized and saved once as safetensors)")
    p.add_argument("--train", default="build/dataset/train.jsonl", help="training JSONL from `twin dataset`")
    p.add_argument("--valid", default="build/dataset/valid.jsonl", help="validation JSONL (empty or missing: none)")
    p.add_argument("--out", default="build/finetune", help="output folder")
    p.add_argument("--max-steps", type=int, default=60, help="optimizer steps (-1: use --epochs)")
    p.add_argument("--epochs", type=float, default=1.0, help="epochs when --max-steps is -1")
    p.add_argument("--max-examples", type=int, default=0,
                   help="train on N examples sampled with --seed across strategies (in proportion, at least one "
                        "each) and, within one, across sources (0: all)")
    p.add_argument("--lr", type=float, default=2e-4, help="learning rate")
    p.add_argument("--batch-size", type=int, default=1, help="per-device batch size")
    p.add_argument("--grad-accum", type=int, default=4, help="gradient accumulation steps")
    p.add_argument("--max-seq-len", type=int, default=1024, help="longest tokenized example; longer ones are cut")
    p.add_argument("--lora-r", type=int, default=8, help="LoRA rank")
    p.add_argument("--lora-alpha", type=int, default=16, help="LoRA alpha")
    p.add_argument("--lora-dropout", type=float, default=0.0, help="LoRA dropout")
    p.add_argument("--target-modules", default="q_proj,k_proj,v_proj,o_proj", help="comma-separated modules to adapt")
    p.add_argument("--eval-examples", type=int, default=32, help="validation examples scored before and after (0: none)")
    p.add_argument("--warmup-steps", type=int, default=3, help="learning-rate warm-up steps")
    p.add_argument("--seed", type=int, default=42, help="random seed")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0: torch's default)")
    p.add_argument("--merge", action="store_true", help="also write the merged model (for vLLM)")
    p.add_argument("--gguf-lora", default="", help="write the GGUF LoRA here (needs --llama-cpp)")
    p.add_argument("--llama-cpp", default="", help="llama.cpp source folder holding convert_lora_to_gguf.py")
    p.add_argument("--no-unsloth", action="store_true", help="never take Unsloth's fast path")
    return p.parse_args(argv)


# Gemma's chat format (the system prompt opens the first user turn), for base checkpoints whose tokenizer
# carries no template. The same file is what llama-server is started with (`--chat-template-file`), so the
# model is served exactly the text it was trained on.
GEMMA_TEMPLATE = (Path(__file__).resolve().parent / "chat_template.jinja").read_text(encoding="utf-8")


def read_jsonl(path: str) -> list[dict]:
    """Rows `{"messages", "meta"}` of a `twin dataset` JSONL."""
    rows = []
    if not path or not Path(path).exists():
        return rows
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{n}: not JSON: {e}")
            msgs = row.get("messages")
            if not isinstance(msgs, list) or not msgs or any("role" not in m or "content" not in m for m in msgs):
                sys.exit(f"{path}:{n}: expected {{\"messages\": [{{\"role\", \"content\"}}, ...]}}")
            meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
            rows.append({"messages": msgs, "meta": meta})
    return rows


def sample_rows(rows: list[dict], n: int, seed: int) -> list[dict]:
    """Up to `n` rows, reproducible from `seed`: each strategy gets its share in proportion (at least one
    row while n allows), and within a strategy rows are taken round-robin across its sources in a seeded
    order, so a small sample is not the first few posts of one strategy. `n` of 0 (or more than there are)
    keeps every row."""
    if n <= 0 or n >= len(rows):
        return list(rows)
    missing = sum(1 for r in rows if not (r.get("meta") or {}).get("strategy") or not (r.get("meta") or {}).get("source"))
    if missing:
        print(f"warning: {missing} of {len(rows)} rows carry no meta.strategy/meta.source (an older `twin dataset`?); "
              "they are sampled as one group", file=sys.stderr, flush=True)
    rng = random.Random(seed)
    groups: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        meta = r.get("meta") or {}
        groups[str(meta.get("strategy", "unknown"))][str(meta.get("source", "unknown"))].append(r)
    sizes = {s: sum(len(v) for v in g.values()) for s, g in groups.items()}
    strategies = sorted(groups)
    quota = {s: min(sizes[s], max(1, round(n * sizes[s] / len(rows)))) for s in strategies}
    while sum(quota.values()) > n:
        # Take from the largest share; at a tie, from the smaller strategy (so below one row per strategy
        # the biggest strategies keep theirs).
        biggest = max(strategies, key=lambda s: (quota[s], -sizes[s], s))
        quota[biggest] -= 1
    while sum(quota.values()) < n:
        room = [s for s in strategies if quota[s] < sizes[s]]
        quota[max(room, key=lambda s: (sizes[s] - quota[s], s))] += 1
    picked: list[dict] = []
    for s in strategies:
        sources = sorted(groups[s])
        rng.shuffle(sources)
        pools = [rng.sample(groups[s][src], len(groups[s][src])) for src in sources]
        taken = 0
        while taken < quota[s]:
            for pool in pools:
                if pool and taken < quota[s]:
                    picked.append(pool.pop())
                    taken += 1
    rng.shuffle(picked)
    return picked


def mix(rows: list[dict]) -> dict:
    """What a training set holds: examples per strategy and how many sources they come from."""
    metas = [r.get("meta") or {} for r in rows]
    return {
        "strategies": dict(sorted(Counter(str(m.get("strategy", "unknown")) for m in metas).items())),
        "sources": len({(str(m.get("strategy", "unknown")), str(m.get("source", "unknown"))) for m in metas}),
        "without_meta": sum(1 for m in metas if not m.get("strategy") or not m.get("source")),
    }


def load_training_rows(args: argparse.Namespace) -> list[dict]:
    """The rows to train on: `--train`, sampled to `--max-examples` with `--seed`."""
    return sample_rows(read_jsonl(args.train), args.max_examples, args.seed)


def materialise_gguf(gguf: Path, out: Path) -> Path:
    """transformers reads a GGUF dequantized to fp32; save it once as safetensors and reuse that."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target = out / "base-hf"
    if (target / "config.json").exists():
        return target
    print(f"converting {gguf} to a safetensors model in {target} (once)", flush=True)
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(target), safe_serialization=True)
    tok.save_pretrained(str(target))
    return target


def use_unsloth(args: argparse.Namespace) -> bool:
    if args.no_unsloth:
        return False
    try:
        import torch
        import unsloth  # noqa: F401
    except ImportError:
        return False
    return torch.cuda.is_available()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train_rows = load_training_rows(args)
    if not train_rows:
        sys.exit(f"{args.train}: no training examples; run `twin dataset` first")
    valid_rows = read_jsonl(args.valid)
    print(f"training on {len(train_rows)} examples: {json.dumps(mix(train_rows))}", flush=True)

    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    base = args.base
    if base.endswith(".gguf"):
        base = str(materialise_gguf(Path(base), out))

    targets = [m.strip() for m in args.target_modules.split(",") if m.strip()]
    if use_unsloth(args):
        from unsloth import FastLanguageModel

        print("Unsloth fast path (CUDA)", flush=True)
        model, tok = FastLanguageModel.from_pretrained(base, max_seq_length=args.max_seq_len, load_in_4bit=False)
        model = FastLanguageModel.get_peft_model(model, r=args.lora_r, lora_alpha=args.lora_alpha,
                                                 lora_dropout=args.lora_dropout, target_modules=targets,
                                                 random_state=args.seed)
        peft_config = None
    else:
        print(f"plain transformers on {'cuda' if torch.cuda.is_available() else 'cpu'}", flush=True)
        tok = AutoTokenizer.from_pretrained(base)
        model = AutoModelForCausalLM.from_pretrained(base, torch_dtype=torch.float32)
        peft_config = LoraConfig(r=args.lora_r, lora_alpha=args.lora_alpha, lora_dropout=args.lora_dropout,
                                 target_modules=targets, task_type="CAUSAL_LM")
    if not tok.chat_template:
        tok.chat_template = GEMMA_TEMPLATE
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token

    cfg = SFTConfig(
        output_dir=str(out / "checkpoints"),
        max_steps=args.max_steps,
        num_train_epochs=args.epochs,
        learning_rate=args.lr,
        per_device_train_batch_size=args.batch_size,
        gradient_accumulation_steps=args.grad_accum,
        warmup_steps=args.warmup_steps,
        logging_steps=1,
        save_strategy="no",
        eval_strategy="no",
        report_to=[],
        seed=args.seed,
        max_length=args.max_seq_len,
        use_cpu=not torch.cuda.is_available(),
        bf16=False,
        fp16=False,
    )
    # Only the conversation goes to the trainer.
    def conversations(rows: list[dict]) -> list[dict]:
        return [{"messages": r["messages"]} for r in rows]

    eval_set = (Dataset.from_list(conversations(valid_rows[: args.eval_examples]))
                if valid_rows and args.eval_examples else None)
    trainer = SFTTrainer(model=model, args=cfg, train_dataset=Dataset.from_list(conversations(train_rows)),
                         eval_dataset=eval_set,
                         processing_class=tok, peft_config=peft_config)
    eval_before = trainer.evaluate().get("eval_loss") if eval_set is not None else None
    started = time.time()
    result = trainer.train()
    seconds = time.time() - started
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    eval_loss = trainer.evaluate().get("eval_loss") if eval_set is not None else None

    adapter_dir = out / "adapter"
    trainer.model.save_pretrained(str(adapter_dir))
    tok.save_pretrained(str(adapter_dir))
    summary = {
        "base": args.base,
        "examples": len(train_rows),
        "mix": mix(train_rows),
        "steps": result.global_step,
        "loss_first": losses[0] if losses else None,
        "loss_last": losses[-1] if losses else None,
        "eval_loss_before": eval_before,
        "eval_loss": eval_loss,
        "seconds": round(seconds, 1),
        "hyperparameters": {k: v for k, v in vars(args).items() if k not in ("gguf_lora", "llama_cpp")},
    }
    if args.merge:
        merged = trainer.model.merge_and_unload()
        merged.save_pretrained(str(out / "merged"), safe_serialization=True)
        tok.save_pretrained(str(out / "merged"))
        summary["merged"] = str(out / "merged")
    if args.gguf_lora:
        converter = Path(args.llama_cpp) / "convert_lora_to_gguf.py"
        if not converter.exists():
            sys.exit(f"--gguf-lora needs --llama-cpp pointing at llama.cpp's source ({converter} is missing)")
        env = dict(os.environ, PYTHONPATH=str(Path(args.llama_cpp) / "gguf-py"))
        subprocess.run([sys.executable, str(converter), "--base", base, "--outfile", args.gguf_lora,
                        "--outtype", "f16", str(adapter_dir)], check=True, env=env)
        summary["gguf_lora"] = args.gguf_lora
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
