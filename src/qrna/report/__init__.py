"""Results of a run on disk: summary JSON, per-pair tables, plots and a self-contained HTML
report."""

from qrna.report._folder import (
    ResultsFolderError,
    check_folder,
    default_folder,
    strict_json,
    summary_json,
    write_results,
)
from qrna.report._html import report_html
from qrna.report._layers import layer_paths, layers_figure
from qrna.report._plots import fidelity_figure, save_figures, throughput_figure, topology_figure
from qrna.report._table import print_summary

__all__ = [
    "ResultsFolderError",
    "check_folder",
    "default_folder",
    "fidelity_figure",
    "layer_paths",
    "layers_figure",
    "print_summary",
    "report_html",
    "save_figures",
    "strict_json",
    "summary_json",
    "throughput_figure",
    "topology_figure",
    "write_results",
]
