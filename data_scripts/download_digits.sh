#!/usr/bin/env bash
# Downloads the MNIST test set (idx gz) and USPS (the ESL book's zip-code digits) into FOLDER, under the names
# that unmt/data/images.py reads. Usage: data_scripts/download_digits.sh FOLDER
set -euo pipefail
if [ $# -ne 1 ]; then
    echo "usage: $0 FOLDER" >&2
    exit 2
fi
folder=$1
mkdir -p "$folder"
fetch() {  # url, file name
    if [ -s "$folder/$2" ]; then
        echo "$folder/$2 already present"
    else
        curl -fL --retry 3 -o "$folder/$2.part" "$1"
        mv "$folder/$2.part" "$folder/$2"
    fi
}
MNIST=https://ossci-datasets.s3.amazonaws.com/mnist  # the mirror torchvision uses; LeCun's page often refuses
fetch "$MNIST/t10k-images-idx3-ubyte.gz" mnist-t10k-images-idx3-ubyte.gz
fetch "$MNIST/t10k-labels-idx1-ubyte.gz" mnist-t10k-labels-idx1-ubyte.gz
ESL=https://hastie.su.domains/ElemStatLearn/datasets
fetch "$ESL/zip.train.gz" usps-zip.train.gz
fetch "$ESL/zip.test.gz" usps-zip.test.gz
fetch "$ESL/zip.info.txt" usps-zip.info.txt
echo "digits in $folder; train with: unmt gan train --config configs/gan_cyclegan_mnist_usps.yaml --data $folder"
