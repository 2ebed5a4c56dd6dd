"""Generators as ONNX graphs: latents (and labels) in, images in [-1, 1] out, any batch size.

The graph comes from torch.export (torch.onnx's dynamo exporter), is checked against the PyTorch model
with onnxruntime on fresh inputs of another batch size, and carries duelo's provenance (version, the
model's sha256, z_dim, c_dim, resolution, channels) in the file's metadata. Needs the optional `export`
extra: `pip install 'duelo[export]'` (onnx, onnxscript, onnxruntime).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import warnings
from pathlib import Path

import torch
from torch import nn

from duelo.errors import ConfigError, DueloError
from duelo.io.atomic import atomic_write

INPUT_LATENTS, INPUT_LABELS, OUTPUT_IMAGES = "z", "labels", "images"
DEFAULT_TOLERANCE = 1e-4          # max |ONNX - PyTorch| on images in [-1, 1]


class ExportMismatchError(DueloError):
    """The exported graph does not reproduce the PyTorch model."""


def _require(module: str):
    try:
        return __import__(module)
    except ImportError:
        raise ConfigError(f"ONNX export needs the optional packages onnx, onnxscript and onnxruntime "
                          f"({module} is missing): pip install 'duelo[export]'") from None


@contextlib.contextmanager
def _quiet():
    """The exporter logs progress and warnings meant for its developers; users get one line from us."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch.export", "onnxscript")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _inputs(G: nn.Module, n: int, seed: int) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn(n, G.z_dim, generator=generator)                                    # (n, z_dim)
    if G.c_dim == 0:
        return (z,)
    return z, torch.randint(0, G.c_dim, (n,), generator=generator)                      # (n,)


def export_onnx(G: nn.Module, path: Path, metadata: dict[str, str] | None = None) -> Path:
    """Write G (in eval mode, on the CPU) to `path` as ONNX with a dynamic batch dimension; atomic."""
    _require("onnx")
    _require("onnxscript")
    import onnx

    model = copy.deepcopy(G).cpu().eval()
    example = _inputs(model, 2, seed=0)
    names = [INPUT_LATENTS, INPUT_LABELS][:len(example)]
    batch = torch.export.Dim("batch")
    path = Path(path)
    with _quiet():
        program = torch.onnx.export(model, example, input_names=names, output_names=[OUTPUT_IMAGES],
                                    dynamic_shapes=tuple({0: batch} for _ in example), dynamo=True, verbose=False)
    graph = program.model_proto
    aspect = getattr(model, "aspect", "1:1")                  # non-square models say so; square files are unchanged
    for key, value in {"duelo:z_dim": str(model.z_dim), "duelo:c_dim": str(model.c_dim),
                       "duelo:resolution": str(model.resolution), "duelo:channels": str(model.channels),
                       **({"duelo:aspect": aspect} if aspect != "1:1" else {}),
                       **(metadata or {})}.items():
        entry = graph.metadata_props.add()
        entry.key, entry.value = key, value
    return atomic_write(path, lambda temp: onnx.save(graph, str(temp)))


def check_onnx(G: nn.Module, path: Path, n: int = 5, seed: int = 1,
               tolerance: float = DEFAULT_TOLERANCE) -> float:
    """Run the ONNX file with onnxruntime on `n` fresh inputs and compare with G; return the largest
    absolute difference, or raise ExportMismatchError above `tolerance`."""
    runtime = _require("onnxruntime")
    model = copy.deepcopy(G).cpu().eval()
    inputs = _inputs(model, n, seed)
    session = runtime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = dict(zip([INPUT_LATENTS, INPUT_LABELS], (t.numpy() for t in inputs)))
    (images,) = session.run([OUTPUT_IMAGES], feed)
    with torch.no_grad():
        reference = model(*inputs)
    difference = float((torch.from_numpy(images) - reference).abs().max())
    if not difference <= tolerance:
        raise ExportMismatchError(f"{path}: ONNX output differs from PyTorch by {difference:.2e} "
                                  f"(tolerance {tolerance:.0e}); the file was written but should not be used")
    return difference
