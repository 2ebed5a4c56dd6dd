"""GPU check and timing of TabularGAN (device tool, one GPU): CUDA correctness on a toy table (conditioning,
save/load, seeded reproducibility) and the Adult epoch time in fp32 with the iteration captured in a CUDA graph
(the default since the tabular task runs on the shared trainer), in fp32 eager, and in bf16 autocast.

    .venv-bench/bin/python benchmarks/tabular.py prepare --out .bench/adult          # on this machine
    # device tool, carrying .bench/adult (duelo installed there, not on PYTHONPATH):
    python3 benchmarks/tabular_gpu.py 30 --out $OUT/tabular_gpu.json                  # EPOCHS

Writes the figures as JSON (--out, default $OUT/tabular_gpu.json) with the provenance block of
duelo.io.provenance (git commit, command, device, versions).
"""

import argparse
import json
import os
import time

import numpy as np
import pandas as pd
import torch

from duelo.io.provenance import write_result
from duelo.tabular import TabularGAN

DISCRETE = ["workclass", "education", "marital-status", "occupation", "relationship", "race", "sex",
            "native-country", "income"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("epochs", type=int, help="epochs of each Adult fit")
    parser.add_argument("--data", default=".bench/adult", help="folder with train.csv (tabular.py prepare)")
    parser.add_argument("--out", default=f"{os.environ.get('OUT', '/tmp')}/tabular_gpu.json",
                        help="JSON file for the figures, with their provenance (default: %(default)s)")
    args = parser.parse_args()
    res = {"torch": torch.__version__, "gpu": torch.cuda.get_device_name(0)}
    rng = np.random.default_rng(0)
    n = 3000
    g = rng.choice(["low", "high"], size=n)
    v = np.where(g == "high", 10.0, 0.0) + rng.normal(size=n)
    df = pd.DataFrame({"group": g, "value": v, "count": rng.integers(0, 50, n)})
    m = TabularGAN(epochs=50, batch_size=100, pac=5, device="cuda", random_state=0).fit(df)
    res["toy_bf16"] = m.sample(2, random_state=0).to_dict()
    hi = m.sample(500, conditions={"group": "high"}, random_state=1)["value"].median()
    lo = m.sample(500, conditions={"group": "low"}, random_state=1)["value"].median()
    res["toy_medians"] = [float(hi), float(lo)]
    m.save("/tmp/tg")
    m2 = TabularGAN.load("/tmp/tg", device="cuda")
    res["save_load_equal"] = bool(m2.sample(100, random_state=3).equals(m.sample(100, random_state=3)))
    a = TabularGAN(epochs=2, batch_size=100, pac=5, device="cuda", random_state=0).fit(df).sample(50, random_state=0)
    b = TabularGAN(epochs=2, batch_size=100, pac=5, device="cuda", random_state=0).fit(df).sample(50, random_state=0)
    res["cuda_reproducible"] = bool(a.equals(b))
    train = pd.read_csv(f"{args.data}/train.csv")
    for name, prec, graph in [("fp32_graph", "fp32", True), ("fp32_eager", "fp32", False),
                              ("bf16_graph", "bf16", True)]:
        t = time.time()
        m = TabularGAN(epochs=args.epochs, device="cuda", precision=prec, random_state=0)
        overrides = m._overrides                 # the estimator has no graph switch: set the run's field here
        m._overrides = lambda *a, o=overrides, g=graph: {**o(*a), "train.cuda_graph": g}
        m.fit(train, DISCRETE)
        res[f"adult_{name}_fit_s"] = time.time() - t
        res[f"adult_{name}_epoch_s"] = float(np.median(np.diff([h["seconds"] for h in m.history_])))
        res[f"adult_{name}_step"] = m.summary_["step"]
    print(json.dumps(res, indent=1))
    print(f"wrote {write_result(args.out, res)}")


if __name__ == "__main__":
    main()
