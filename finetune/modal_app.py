"""Serving the fine-tuned Gemma on a scale-to-zero GPU: a Modal app running vLLM's OpenAI-compatible server.

The worker's `tuned` backend points at this app's URL (`base_url`), with the bearer token as the secret
named in its config (`GPU_TOKEN`). Deploy:

    modal secret create twin-gpu-token VLLM_API_KEY=<a long random token>
    modal volume create twin-models
    modal volume put twin-models build/finetune/merged /merged
    modal deploy finetune/modal_app.py

Notes:
- Scale to zero: no container runs while nobody asks; the first request after idle waits for a cold start
  (about 60 s for a small model: container, weights, vLLM start). The worker keeps the reader informed with
  `status` events and retries until its `wake_deadline_s`; the widget calls `/api/warm` when it comes into
  view so the start overlaps the reader's reading.
- Modal web endpoints answer within 150 s or reply 303 to a result URL; the worker follows it.
- L4 (24 GB) fits Gemma 3 270M (or a 1B/4B Gemma) comfortably; the merged model avoids LoRA overhead.
"""

import subprocess

import modal

MODEL_DIR = "/models/merged"
SERVED_NAME = "twin-gemma"

image = modal.Image.debian_slim(python_version="3.11").pip_install("vllm==0.11.0")
volume = modal.Volume.from_name("twin-models")
app = modal.App("twin-gemma")


@app.function(
    image=image,
    gpu="L4",
    volumes={"/models": volume},
    secrets=[modal.Secret.from_name("twin-gpu-token")],
    min_containers=0,  # scale to zero
    scaledown_window=300,  # stay warm five minutes after the last request
    timeout=600,
)
@modal.concurrent(max_inputs=16)
@modal.web_server(port=8000, startup_timeout=300)
def serve() -> None:
    # vLLM's OpenAI-compatible server; --api-key makes it require `Authorization: Bearer <VLLM_API_KEY>`.
    subprocess.Popen(
        "vllm serve " + MODEL_DIR
        + f" --served-model-name {SERVED_NAME} --host 0.0.0.0 --port 8000"
        + " --api-key $VLLM_API_KEY --max-model-len 4096 --gpu-memory-utilization 0.85",
        shell=True,
    )
