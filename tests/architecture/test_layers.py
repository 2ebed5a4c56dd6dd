"""The import-layer contract (docs/design.md): each module imports only its own layer and the layers below, the
shared machinery knows no task, tasks do not import each other, inference does not import the training
composition, and `import duelo` has no cycle. Function-level (lazy) imports count: they run too."""

from __future__ import annotations

from tests.architecture.imports import imports

# lowest first; a module may import modules of its own layer and of the layers below
LAYERS = [
    ("duelo", "duelo.errors", "duelo.registry"),
    ("duelo.config",),
    ("duelo.nn", "duelo.data", "duelo.losses", "duelo.degrade", "duelo.augment"),
    ("duelo.models",),
    ("duelo.io",),
    ("duelo.training",),
    ("duelo.sampling",),
    ("duelo.evaluation", "duelo.cleaning"),
    ("duelo.health",),
    ("duelo.objectives", "duelo.stabilisers", "duelo.privacy"),
    ("duelo.tasks", "duelo.tabular", "duelo.hub"),
    ("duelo.cli", "duelo.__main__", "duelo.studio"),
]
# what inference (sampling, io) may use of duelo.training: the device and precision seam, nothing that trains
DEVICE_SEAM = {"duelo.training.runtime", "duelo.training.precision", "duelo.training.graphs",
               "duelo.training.distributed"}
SHARED_TASK_MODULES = {"base", "registry", "runner", "loop", "snapshots", "translators", "gan_parts", "presets",
                       "config_docs", "tuning", "shadow_runs", "rescoring"}


def layer_of(module: str) -> int:
    best, rank = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank >= 0, f"{module} is in no layer: add it to LAYERS"
    return rank


def test_every_module_imports_only_its_layer_and_below():
    violations = [f"{module} -> {target}" for module, targets in imports().items() for target in targets
                  if layer_of(target) > layer_of(module)]
    assert not violations, "\n".join(sorted(violations))


def test_tasks_do_not_import_each_other():
    violations = []
    for module, targets in imports().items():
        parts = module.split(".")
        if len(parts) < 3 or parts[:2] != ["duelo", "tasks"] or parts[2] in SHARED_TASK_MODULES:
            continue
        for target in targets:
            other = target.split(".")
            if other[:2] == ["duelo", "tasks"] and len(other) > 2 and other[2] not in SHARED_TASK_MODULES \
                    and other[2] != parts[2]:
                violations.append(f"{module} -> {target}")
    assert not violations, "\n".join(violations)


def test_inference_does_not_import_the_training_composition():
    violations = [f"{module} -> {target}" for module, targets in imports().items()
                  if module.startswith(("duelo.sampling", "duelo.io")) for target in targets
                  if target.startswith(("duelo.training", "duelo.tasks", "duelo.objectives", "duelo.stabilisers"))
                  and target not in DEVICE_SEAM]
    assert not violations, "\n".join(violations)


def test_module_level_imports_have_no_cycle():
    """`import duelo...` never depends on the order in which modules happen to load."""
    graph = imports(module_level_only=True)
    for module, targets in graph.items():        # a package import loads its __init__, i.e. the package module
        graph[module] = {t for t in targets if t in graph}
    state: dict[str, int] = {}                   # 1 on the current path, 2 done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)
