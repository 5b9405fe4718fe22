"""PyInstaller hook for pyarrow, replacing the contributed one (hookspath hooks take precedence).

The contributed hook collects every pyarrow submodule, every shared library (Flight, S3,
Substrait, ORC...) and every data file (C++ headers, Cython sources): about 150 MB. SparkDesk
reads local CSV, JSON Lines and Parquet files, so we collect the submodules it can reach and
let PyInstaller's binary analysis bring in the libraries those extension modules link to.
"""

from PyInstaller.utils.hooks import collect_submodules

# Submodules no SparkDesk code path imports; pyarrow guards each optional one with ImportError.
UNUSED = (
    "pyarrow.tests",
    "pyarrow._pyarrow_cpp_tests",
    "pyarrow.benchmark",
    "pyarrow.cuda",
    "pyarrow._cuda",
    "pyarrow.flight",
    "pyarrow._flight",
    "pyarrow.orc",
    "pyarrow._orc",
    "pyarrow._dataset_orc",
    "pyarrow.substrait",
    "pyarrow._substrait",
    "pyarrow._s3fs",
    "pyarrow._gcsfs",
    "pyarrow._azurefs",
    "pyarrow._hdfs",
    "pyarrow.parquet.encryption",
    "pyarrow._parquet_encryption",
    "pyarrow._dataset_parquet_encryption",
)


def _wanted(name: str) -> bool:
    # pyarrow/libarrow_python*.so look like extension modules to collect_submodules; they are
    # libraries, found (or not) by the binary analysis of the modules that link to them.
    if name.startswith("pyarrow.libarrow"):
        return False
    return not any(name == u or name.startswith(u + ".") for u in UNUSED)


# Cython extension modules import pyarrow submodules PyInstaller cannot see; take the rest.
hiddenimports = collect_submodules("pyarrow", filter=_wanted)
excludedimports = list(UNUSED)
