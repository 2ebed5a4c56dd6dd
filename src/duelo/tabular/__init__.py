"""Tabular synthetic data: turn a pandas DataFrame into a matrix a GAN can learn, and back.

    from duelo.tabular import TabularTransformer
    transformer = TabularTransformer().fit(df)
    matrix = transformer.transform(df)                 # (N, D) float32
    spans = transformer.output_info_                   # [(width, "tanh" | "softmax"), ...]
    table = transformer.inverse_transform(matrix)      # same columns and dtypes as df
"""

from duelo.tabular.columns import CategoricalSpec, NumericSpec, infer_kind
from duelo.tabular.transformer import TabularTransformer

__all__ = ["CategoricalSpec", "NumericSpec", "TabularTransformer", "infer_kind"]
