"""PyInstaller hook for rustpy-xlsxwriter, SparkDesk's fastest XLSX engine when it is installed.

Its ``__init__`` reads its own version with ``importlib.metadata``; without the package's
metadata in the bundle that raises PackageNotFoundError (an ImportError), so the frozen app
would quietly fall back to openpyxl while the command line from source uses the Rust engine.
"""

from PyInstaller.utils.hooks import copy_metadata

datas = copy_metadata("rustpy-xlsxwriter")
