"""Find which part of the training iteration breaks CUDA-graph capture (device debugging aid)."""
import sys, traceback, copy
import torch
sys.path.insert(0, "src")
from duelo.config import Config
from duelo.apps.image_gan import build_session
from duelo.training.ema import update_ema
from duelo.training.stats import StepStats


def try_capture(name, fn, mode="global"):
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    try:
        with torch.cuda.graph(g, capture_error_mode=mode):
            fn()
        g.replay(); torch.cuda.synchronize()
        print(f"OK   {name} ({mode})", flush=True)
    except Exception as e:
        print(f"FAIL {name} ({mode}): {type(e).__name__}: {str(e).splitlines()[0]}", flush=True)
        traceback.print_exc(limit=6)
        torch.cuda.synchronize()


net = torch.nn.Linear(8, 8).cuda()
ema = copy.deepcopy(net)
beta = torch.tensor(0.9, device="cuda")
try_capture("ema lerp tensor weight", lambda: update_ema(ema, net, beta))
stats = StepStats(torch.device("cuda"))
x = torch.randn(4, device="cuda")
try_capture("stats report", lambda: stats.report("a", x))
opt = torch.optim.Adam(net.parameters(), lr=1e-3, fused=True, capturable=True)
inp = torch.randn(4, 8, device="cuda")
def adam_step():
    opt.zero_grad(set_to_none=True)
    net(inp).square().mean().backward()
    opt.step()
try_capture("fused capturable adam", adam_step)
gen = torch.Generator(device="cuda").manual_seed(1)
def rand():
    torch.randn(4, generator=gen, device="cuda")
g = torch.cuda.CUDAGraph()
g.register_generator_state(gen)
try:
    with torch.cuda.graph(g):
        rand()
    print("OK   registered generator")
except Exception as e:
    print("FAIL registered generator", e)
for mode in ("global", "relaxed"):
    config = Config().with_overrides({"data.dataset": "mnist-5k", "data.resolution": 32, "model.width": 16, "train.batch": 32,
                                      "train.precision": "fp32", "health.enabled": False, "augment.name": "none",
                                      "train.cuda_graph": False})
    trainer = build_session(config, live_progress=False).trainer
    for _ in range(2):
        trainer.step()
    def body():
        trainer.feed.stage(1)
        trainer._iterate((0, 1), beta)
    gg = torch.cuda.CUDAGraph()
    for gen in trainer.generators:
        gg.register_generator_state(gen)
    s = torch.cuda.Stream(); s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            body()
    torch.cuda.current_stream().wait_stream(s)
    torch.cuda.synchronize()
    if mode == "global":
        trainer.feed.stage(1)
        torch.cuda.set_sync_debug_mode("error")
        try:
            trainer._iterate((0, 1), beta)
            print("OK   no synchronising op in an eager iterate")
        except Exception as e:
            print("FAIL sync op in eager iterate:", str(e).splitlines()[0])
            traceback.print_exc(limit=15)
        torch.cuda.set_sync_debug_mode(0)
        torch.cuda.synchronize()
    trainer.feed.stage(1)
    try:
        with torch.cuda.graph(gg, capture_error_mode=mode):
            trainer._iterate((0, 1), beta)
        print(f"OK   whole iterate ({mode})")
    except Exception as e:
        print(f"FAIL whole iterate ({mode}): {str(e).splitlines()[0]}")
        traceback.print_exc(limit=12)
