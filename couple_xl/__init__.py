"""couple_xl: COUPLE partnership health checks in Excel workbooks."""

__version__ = "0.1.0"
