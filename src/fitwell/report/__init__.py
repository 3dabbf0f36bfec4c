"""Reports: plots of training runs and experiments (scikit-learn style Displays) and
self-contained HTML pages.

The report draws what it is handed — run results, sweep and ablation results, read by
attribute — and imports nothing of :mod:`fitwell.experiments`; matplotlib is imported only
when a figure is drawn.

- :mod:`~fitwell.report._style`: the palette, fonts, axes frame and saving, shared by all;
- :mod:`~fitwell.report.curves`: loss, score and learning-rate curves of one run;
- :mod:`~fitwell.report.comparison`: runs side by side and their final-score bars;
- :mod:`~fitwell.report.schedules`: learning-rate schedules compared without training;
- :mod:`~fitwell.report.experiment_plots`: sweep and ablation figures;
- :mod:`~fitwell.report.html` and :mod:`~fitwell.report.experiment_html`: the pages, built
  with the one HTML builder :mod:`~fitwell.report._html`.
"""

from ._style import COLORS, VERDICT_COLORS, save_figure
from .comparison import ComparisonDisplay, GapBarDisplay
from .curves import LearningRateDisplay, LossCurveDisplay, ScoreCurveDisplay
from .experiment_html import write_ablation_report, write_sweep_report
from .html import REPORT_FILE, figure_names, slugify, write_report
from .schedules import ScheduleComparisonDisplay, plateau_loss

__all__ = [
    "LossCurveDisplay", "ScoreCurveDisplay", "LearningRateDisplay", "ComparisonDisplay",
    "GapBarDisplay", "ScheduleComparisonDisplay", "save_figure", "plateau_loss",
    "write_report", "figure_names", "slugify", "REPORT_FILE", "COLORS", "VERDICT_COLORS",
    "write_sweep_report", "write_ablation_report",
]
