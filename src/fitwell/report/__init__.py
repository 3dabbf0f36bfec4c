"""Reports: plots of training runs (scikit-learn style Displays) and a self-contained HTML page.

Nothing here is imported by the engine; matplotlib is imported only when a
figure is drawn.
"""

from .experiment_html import write_ablation_report, write_sweep_report
from .html import REPORT_FILE, figure_names, slugify, write_report
from .plots import (
    COLORS,
    VERDICT_COLORS,
    ComparisonDisplay,
    GapBarDisplay,
    LearningRateDisplay,
    LossCurveDisplay,
    ScheduleComparisonDisplay,
    ScoreCurveDisplay,
    plateau_loss,
    save_figure,
)

__all__ = [
    "LossCurveDisplay", "ScoreCurveDisplay", "LearningRateDisplay", "ComparisonDisplay",
    "GapBarDisplay", "ScheduleComparisonDisplay", "save_figure", "plateau_loss",
    "write_report", "write_sweep_report", "write_ablation_report", "figure_names", "slugify",
    "REPORT_FILE", "COLORS", "VERDICT_COLORS",
]
