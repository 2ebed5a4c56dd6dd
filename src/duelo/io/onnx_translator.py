"""Translators as ONNX graphs: source images in, translated images in [-1, 1] out, with a free batch size,
height and width (multiples of the model's size_multiple, at least its min_size).

Like duelo.io.onnx_export (generators), the graph comes from torch.export (torch.onnx's dynamo exporter)
and is checked with onnxruntime before the caller gets the path. Height and width are exported as
`size_multiple * k` (torch.export derived dimensions), which lets the exporter prove that every stride-2
layer halves an even size and that skip connections line up. Should a model refuse free spatial sizes
(a constraint the exporter cannot prove), the export falls back to the training resolution, with a free
batch only, and says so in the metadata (`duelo:dynamic_spatial` = "false"); the check then uses that size.
Needs the optional `export` extra: `pip install 'duelo[export]'` (onnx, onnxscript, onnxruntime).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import torch
from torch import nn

from duelo.io.onnx_export import DEFAULT_TOLERANCE, ExportMismatchError, _quiet, _require

INPUT_SOURCE, OUTPUT_IMAGES = "source", "images"


def _source(model: nn.Module, n: int, height: int, width: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    source = torch.rand(n, model.in_channels, height, width, generator=generator)  # (n, C, H, W) in [0, 1)
    return source * 2 - 1


def _spatial_dim(name: str, multiple: int, smallest: int):
    """A height or width that torch.export keeps free: multiple * k with k >= smallest / multiple."""
    blocks = torch.export.Dim(f"{name}_blocks", min=max(1, -(-smallest // multiple)))
    return blocks if multiple == 1 else multiple * blocks


def _export(model: nn.Module, example: torch.Tensor, dynamic_spatial: bool):
    shape = {0: torch.export.Dim("batch")}
    if dynamic_spatial:
        shape[2] = _spatial_dim("height", model.size_multiple, model.min_size)
        shape[3] = _spatial_dim("width", model.size_multiple, model.min_size)
    with _quiet():
        return torch.onnx.export(model, (example,), input_names=[INPUT_SOURCE], output_names=[OUTPUT_IMAGES],
                                 dynamic_shapes=(shape,), dynamo=True, verbose=False)


def export_translator_onnx(model: nn.Module, path: str | os.PathLike,
                           tolerance: float = DEFAULT_TOLERANCE) -> Path:
    """Write `model` (a Translator; exported in eval mode on the CPU) to `path` as ONNX with free batch,
    height and width, then run the file with onnxruntime on another batch size and spatial size and raise
    ExportMismatchError if it differs from PyTorch by more than `tolerance` (max absolute difference).
    The file is replaced atomically, and only after the check passed."""
    _require("onnx")
    _require("onnxscript")
    runtime = _require("onnxruntime")
    import onnx

    model = copy.deepcopy(model).cpu().eval()
    size, multiple = model.resolution, model.size_multiple
    # the exporter fixes any size that is 1 in the example (a U-Net's bottleneck at its training size):
    # trace at least two size_multiple blocks so that the innermost maps are 2x2 or larger
    traced = max(size, 2 * multiple)
    example = _source(model, 2, traced, traced, seed=0)                      # (2, C, R, R)
    try:
        program, dynamic_spatial = _export(model, example, dynamic_spatial=True), True
    except Exception:  # the exporter raises many types; the fixed-size graph below is still correct
        example = _source(model, 2, size, size, seed=0)
        program, dynamic_spatial = _export(model, example, dynamic_spatial=False), False
    graph = program.model_proto
    for key, value in {"duelo:in_channels": model.in_channels, "duelo:out_channels": model.out_channels,
                       "duelo:resolution": size, "duelo:size_multiple": multiple,
                       "duelo:min_size": model.min_size,
                       "duelo:dynamic_spatial": str(dynamic_spatial).lower()}.items():
        entry = graph.metadata_props.add()
        entry.key, entry.value = key, str(value)

    path = Path(path)
    temp = path.with_name(f".{path.name}.tmp")
    onnx.save(graph, str(temp))
    try:
        height, width = (size + multiple, size + 2 * multiple) if dynamic_spatial else (size, size)
        source = _source(model, 3, height, width, seed=1)                    # another batch and size
        session = runtime.InferenceSession(str(temp), providers=["CPUExecutionProvider"])
        (images,) = session.run([OUTPUT_IMAGES], {INPUT_SOURCE: source.numpy()})
        with torch.no_grad():
            reference = model(source)                                        # (3, out_channels, H, W)
        if tuple(images.shape) != tuple(reference.shape):
            raise ExportMismatchError(f"ONNX export of {type(model).__name__} returns shape {images.shape} "
                                      f"for a {height}x{width} batch of 3, PyTorch {tuple(reference.shape)}; "
                                      f"{path} was not written")
        difference = float((torch.from_numpy(images) - reference).abs().max())
        if not difference <= tolerance:
            raise ExportMismatchError(f"ONNX export of {type(model).__name__} differs from PyTorch by "
                                      f"{difference:.2e} on a {height}x{width} batch of 3 (tolerance "
                                      f"{tolerance:.0e}); {path} was not written")
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return path
