"""Convert scikit-learn's bundled 8x8 digits into the sample data of the digit templates.

Run once, with scikit-learn installed somewhere outside the project (it is not a
dependency), e.g.:

    python -m venv /tmp/sk && /tmp/sk/bin/pip install scikit-learn numpy
    /tmp/sk/bin/python scripts/make_digits_data.py

Each 8x8 image (values 0..16) is scaled to [0, 1], enlarged 3x to 24x24 and centred
in 28x28 with a 2-pixel border, as MNIST centres its 20x20 digits. The 1,797 samples
are shuffled with a fixed seed (so a validation split at the end holds every digit)
and written, compressed, as:

- resources/data/digits_mlp.npz: `digits` (N, 784) float32 and `predictions` (N,)
  int32, for resources/templates/mnist_mlp.graph.json;
- resources/data/digits_cnn.npz: `image` (N, 28, 28, 1) float32 and `digit` (N,)
  int32, for resources/templates/small_cnn.graph.json.
"""

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

OUT = Path(__file__).resolve().parents[1] / "resources" / "data"


def main() -> None:
    digits = load_digits()
    images = digits.images.astype(np.float32) / 16.0
    labels = digits.target.astype(np.int32)
    order = np.random.default_rng(0).permutation(len(labels))
    images, labels = images[order], labels[order]
    large = np.kron(images, np.ones((3, 3), dtype=np.float32))
    framed = np.pad(large, ((0, 0), (2, 2), (2, 2)))
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT / "digits_mlp.npz", digits=framed.reshape(len(labels), 784), predictions=labels
    )
    np.savez_compressed(OUT / "digits_cnn.npz", image=framed[..., np.newaxis], digit=labels)


if __name__ == "__main__":
    main()
