"""GPU check and timing of TabularGAN (device tool, one GPU): CUDA correctness on a toy table (conditioning,
save/load, seeded reproducibility) and the Adult epoch time in bf16 autocast ("auto" before it became fp32 on
GPUs) and fp32.

    .venv-bench/bin/python benchmarks/tabular.py prepare --out .bench/adult          # on this machine
    # device tool, carrying .bench/adult:
    python3 benchmarks/tabular_gpu.py 30                                              # EPOCHS; writes
    $OUT/tabular_gpu.json
"""
import sys
import time
import json
import os
import numpy as np
import pandas as pd
import torch
sys.path.insert(0, "src")
from duelo.tabular import TabularGAN
out = os.environ.get("OUT", "/tmp")
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
train = pd.read_csv(".bench/adult/train.csv")
D = ["workclass","education","marital-status","occupation","relationship","race","sex","native-country","income"]
for prec in ["bf16", "fp32"]:
    t = time.time()
    m = TabularGAN(epochs=int(sys.argv[1]), device="cuda", precision=prec, random_state=0).fit(train, D)
    res[f"adult_{prec}_fit_s"] = time.time() - t
    res[f"adult_{prec}_epoch_s"] = float(np.median(np.diff([h["seconds"] for h in m.history_])))
print(json.dumps(res, indent=1))
json.dump(res, open(f"{out}/tabular_gpu.json", "w"), indent=1)
