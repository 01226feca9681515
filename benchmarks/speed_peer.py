"""The peer for benchmarks/speed.py: fairseq's online back-translation from the same weights, at the same shape,
data, batch and threads (benchmarks/peers/), run in its own environment; fairseq is never imported here."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from speed_training import languages

HERE = Path(__file__).resolve().parent


def run_peer(
    python: str, run_dir: Path, data_dir: Path, config, dropout: float, scratch: Path, args, out: Path,
    profile_updates: int = 0
) -> dict:
    """fairseq's online back-translation from the same weights (benchmarks/peers/), in its own environment;
    `profile_updates` more updates after the timed ones have their operators counted (its "fixed_cost")."""
    sys.path.insert(0, str(HERE / "peers"))
    from warm_start import write_warm_start  # noqa: E402  (plain torch: no fairseq in this environment)

    work = scratch / "peer"
    checkpoint, dictionary = write_warm_start(run_dir, work)
    m = config.model
    command = [python, str(HERE / "peers" / "fairseq_obt.py"), "--work", str(work), "--data", str(data_dir),
               "--spm", str(run_dir / "spm.model"), "--dict", str(dictionary), "--warm-start", str(checkpoint),
               "--languages", *languages(run_dir), "--d-model", str(m.d_model), "--heads", str(m.n_heads),
               "--encoder-layers", str(m.encoder_layers), "--decoder-layers", str(m.decoder_layers),
               "--ffn", str(m.ffn_dim), "--activation", m.activation, "--dropout", str(dropout),
               "--max-tokens", str(config.data.max_tokens), "--max-len", str(config.data.max_len),
               "--lr", str(config.optim.lr), "--warmup-updates", str(config.optim.warmup_steps),
               "--label-smoothing", str(config.optim.label_smoothing), "--threads", str(args.threads),
               "--updates", str(args.peer_updates), "--skip", str(args.peer_skip), "--out", str(out),
               "--profile-updates", str(profile_updates)]
    print("peer:", " ".join(command), file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the fairseq peer failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(out.read_text())
