#!/bin/bash
# Four Multi30k variants side by side on one GPU, as in docs/experiment-log.md: SET=gpu4 ("eight times the tokens per
# step, and a bigger model"), SET=gpu5 ("the supervised reference": needs DATA prepared with --parallel; it also runs
# the tests that train, niced, so their CUDA paths are checked).
# Each resumes its own copy of a step-0 run prepared on the CPU (vocabulary, lexicon and aligned embedding table,
# no checkpoint), so the GPU spends its minutes training. Prepare them once, with the same data:
#   unmt --checkpoints-dir PREP train --src en --tgt fr --run prep256 --data DATA --config configs/multi30k_en_fr.yaml --max-steps 1
#   (and prep512 with the d512 overrides below), then delete their step-*/, latest, best and metrics.jsonl.
# Usage: PREP=... DATA=... OUT=... [SET=gpu4] [MIN=6] [LIMIT=500] bash experiments/multi30k_gpu_variants.sh
set -u
cd "$(dirname "$0")/.."
MIN=${MIN:-6}
LIMIT=${LIMIT:-500}  # seconds per variant, setup and test scoring included, so what it wrote comes back in time
# Wheels for packages the GPU image lacks (here: datasets, dill, multiprocess), when a .whl folder is carried.
if ls .whl/*.whl > /dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 3
fi
export PYTHONPATH=/tmp/site:$PWD HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
LOG=$OUT/log.txt
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python3 -c "import torch, datasets; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'datasets', datasets.__version__)"
} >> "$LOG" 2>&1 || exit 4
RUNS=/tmp/gpu_variants; mkdir -p $RUNS/runs
COMMON="--minutes $MIN --data $DATA --out $RUNS --set runtime.threads=3 --set evaluation.every=300"
BIG="--set data.max_tokens=4000"
launch() {  # NAME PREPARED_RUN OVERRIDES...
  local name=$1 prepared=$2; shift 2
  cp -r "$PREP/$prepared" $RUNS/runs/$name
  timeout $LIMIT python3 benchmarks/multi30k.py $COMMON --resume $name --name $name "$@" > $RUNS/$name.log 2>&1 &
}
SUP="--set losses.mt=1 --set losses.ae=0 --set losses.bt=0 --set losses.adv=0 --set back_translation.word_by_word_steps=0"
case ${SET:-gpu4} in
  gpu4)
    launch gpu4_recipe prep256
    launch gpu4_tok4000 prep256 $BIG
    launch gpu4_tok4000_ae_on prep256 $BIG --set losses.ae=0:1
    launch gpu4_tok4000_d512 prep512 $BIG --set model.d_model=512 --set model.n_heads=8 --set model.ffn_dim=2048 \
      --set model.encoder_layers=3 --set model.decoder_layers=3 --set optim.lr=0.0005 ;;
  gpu5)
    launch gpu5_tok4000 prep256 $BIG
    launch gpu5_tok4000_temp05 prep256 $BIG --set back_translation.temperature=0.5
    launch gpu5_sup_tok4000 prep256 $BIG $SUP
    launch gpu5_sup_tok500 prep256 $SUP
    ( OMP_NUM_THREADS=2 timeout $LIMIT nice -n 19 python3 -m pytest -q -p no:cacheprovider tests/test_parallel.py \
        tests/test_bt_teachers.py tests/test_learning.py tests/test_loss_groups.py tests/test_resume.py tests/test_ensemble.py \
        tests/test_precision.py tests/test_weight_average.py > "$OUT/pytest.txt" 2>&1 ) & ;;
  *) echo "SET must be gpu4 or gpu5" >&2; exit 2 ;;
esac
( sleep 60; nvidia-smi >> "$LOG" 2>&1 ) &
wait
for f in $RUNS/*.log; do echo "== $f"; tail -5 "$f"; done >> "$LOG"
tar czf "$OUT/${SET:-gpu4}.tar.gz" -C $RUNS --exclude='step-*' --exclude='*.pt' --exclude='spm.model' --exclude='lexicon.json' .
