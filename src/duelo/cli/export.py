"""`duelo export`: a trained generator as an ONNX file, checked against PyTorch."""

from __future__ import annotations

from pathlib import Path

import click

from duelo.errors import ConfigError


@click.command("export", context_settings={"show_default": True})
@click.argument("run_or_model", type=click.Path(path_type=Path))
@click.option("--onnx", "as_onnx", is_flag=True, help="Write ONNX (the only format so far; required).")
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=None,
              help="Output file, or an existing folder to write model.onnx into. [default: model.onnx in the "
                   "model folder]")
@click.option("--check/--no-check", default=True,
              help="Compare the ONNX graph with the PyTorch model on fresh inputs (onnxruntime).")
@click.option("--force", is_flag=True, help="Replace an existing output file (never a run's or model's own files).")
def export(run_or_model: Path, as_onnx: bool, out_path: Path | None, check: bool, force: bool) -> None:
    """Export the generator of a run folder (or a saved model) as ONNX: inputs `z` (N, z_dim) float32 and,
    for class-conditional models, `labels` (N,) int64; output `images` (N, C, H, W) in [-1, 1]. The batch
    size is free. An image-to-image run's translator exports with free batch, height and width. Needs
    `pip install 'duelo[export]'`.

    \b
    Examples:
      duelo export runs/demo --onnx
      duelo export runs/demo/model --onnx --out demo.onnx
    """
    from duelo import __version__
    from duelo.io.pretrained import resolve_model_dir
    from duelo.io.onnx_export import check_onnx, export_onnx
    from duelo.io.outputs import output_file
    from duelo.io.pretrained import load_pretrained, model_sha256, read_config

    if not as_onnx:
        raise ConfigError("choose a format: --onnx")
    model_dir = resolve_model_dir(run_or_model)
    kind = read_config(model_dir).get("kind")
    if kind not in ("generator", "translator"):
        raise ConfigError(f"{model_dir} holds a {kind}; export a generator's or translator's folder")
    # an existing folder means model.onnx inside it; beside the weights, model.onnx is export's own file
    out = output_file(out_path or model_dir / "model.onnx", force=force, default_name="model.onnx",
                      owned=("model.onnx", "model/model.onnx"))
    G = load_pretrained(model_dir, map_location="cpu")
    if kind == "translator":              # image in, image out; free batch, height and width; always checked
        from duelo.io.onnx_translator import export_translator_onnx

        export_translator_onnx(G, out)
        click.echo(f"wrote {out} (input `source` (N, {G.in_channels}, H, W), H and W multiples of "
                   f"{G.size_multiple}); onnxruntime matches PyTorch")
        return
    export_onnx(G, out, metadata={"duelo:version": __version__, "duelo:model_sha256": model_sha256(model_dir)})
    message = f"wrote {out}"
    if check:
        message += f"; onnxruntime matches PyTorch to {check_onnx(G, out):.1e} (max |difference|, images in [-1, 1])"
    click.echo(message)
