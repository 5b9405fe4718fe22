"""SparkDesk: Sparkcentral's twelve data exports, built offline from raw data dumps."""

__version__ = "0.1.0"
