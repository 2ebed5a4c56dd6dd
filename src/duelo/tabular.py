"""Tabular synthetic data with scikit-learn conventions, the public face of the tabular task
(duelo.tasks.tabular): a CTGAN-class GAN (TabularGAN) and the DataFrame <-> matrix transformer.

    from duelo.tabular import TabularGAN
    synthetic = TabularGAN(epochs=100, random_state=0).fit(df).sample(1000)

    from duelo.tabular import TabularTransformer
    transformer = TabularTransformer().fit(df)
    matrix = transformer.transform(df)                 # (N, D) float32
    spans = transformer.output_info_                   # [(width, "tanh" | "softmax"), ...]
    table = transformer.inverse_transform(matrix)      # same columns and dtypes as df

    from duelo.tabular import quality_report, write_report
"""

from duelo.tasks.tabular.columns import CategoricalSpec, NumericSpec, infer_kind
from duelo.tasks.tabular.gan import TabularGAN
from duelo.tasks.tabular.report import quality_report, write_report
from duelo.tasks.tabular.transformer import TabularTransformer

__all__ = ["CategoricalSpec", "NumericSpec", "TabularGAN", "TabularTransformer", "infer_kind", "quality_report",
           "write_report"]
