"""Datasets → uint8 (N, C, H, W) tensors with labels: named sources, user folders/zips/npz, validation.

    from duelo.data import load_dataset
    dataset = load_dataset("mnist-5k", resolution=32)     # 5,000 × 1 × 32 × 32, labels 0..9
"""

from duelo.data.check import check_path
from duelo.data.collection import BAD_FILE_POLICIES
from duelo.data.dataset import ImageDataset
from duelo.data.errors import (
    ArrayFormatError,
    BadFilesError,
    BadImageError,
    DatasetUnavailableError,
    EmptyDatasetError,
    IdxFormatError,
    MissingPathError,
    UnknownDatasetError,
)
from duelo.data.loading import DEFAULT_DATASET, conform, load_dataset
from duelo.data.paired import (
    PAIR_FOLDERS,
    PAIR_LAYOUTS,
    PairedDataset,
    PairingError,
    load_paired,
)
from duelo.data.unpaired import load_unpaired
from duelo.data.report import DataReport, ReportEntry
from duelo.data.sources import SOURCES, DataSource, fetch_mnist
from duelo.data.transforms import RESIZE_MODES

__all__ = [
    "ArrayFormatError", "BAD_FILE_POLICIES", "BadFilesError", "BadImageError", "DEFAULT_DATASET",
    "DataReport", "DataSource", "DatasetUnavailableError", "EmptyDatasetError", "IdxFormatError",
    "ImageDataset", "MissingPathError", "PAIR_FOLDERS", "PAIR_LAYOUTS", "PairedDataset", "PairingError",
    "RESIZE_MODES", "ReportEntry", "SOURCES", "UnknownDatasetError", "check_path", "conform", "fetch_mnist",
    "load_dataset", "load_paired", "load_unpaired",
]
