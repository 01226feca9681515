#!/usr/bin/env bash
# Downloads Multi30k task 1 English/French (raw) for users with internet, into the folder given (default
# ./multi30k_raw). Then: python data_scripts/prepare_multi30k.py ./multi30k_raw data/multi30k_en_fr
set -euo pipefail
out=${1:-multi30k_raw}
base=https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw
mkdir -p "$out"
for split in train val test_2016_flickr; do
  for lang in en fr; do
    curl -fsSL "$base/$split.$lang.gz" | gunzip > "$out/$split.$lang"
  done
done
wc -l "$out"/*
