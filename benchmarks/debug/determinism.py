"""Which ops make two eager stylegan2 sessions differ (device debugging aid)."""
import os, sys, warnings
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
import torch
sys.path.insert(0, ".")
torch.backends.cudnn.deterministic = True
torch.use_deterministic_algorithms(True, warn_only=True)
import tests.training.test_cuda_graphs as t
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    a = t._session(t.CASES["stylegan2-r1-pl"], cuda_graph=False)
    b = t._session(t.CASES["stylegan2-r1-pl"], cuda_graph=False)
    for i in range(3):
        a.step(); b.step()
        print(i, a.stats.read(), b.stats.read())
seen = set()
for w in caught:
    msg = str(w.message).splitlines()[0][:200]
    if msg not in seen:
        seen.add(msg); print("WARN", msg)
