"""Text classification with augmentation: WordNet synonyms, Wei & Zou's EDA operations,
Apertium back-translation, and the pipeline that applies them at fit only.

:mod:`.wordnet` reads WordNet 3.0's data files; :mod:`.tokens` splits sentences into
words and punctuation; :mod:`.eda` holds the four EDA operations and their combination;
:mod:`.backtranslate` runs Apertium; :mod:`.resample` makes them a fit-only resampling
step; :mod:`.pipeline` is the ``Pipeline`` that honours it; :mod:`.store` turns a fitted
``TfidfVectorizer`` into plain arrays for model files.
"""

from .backtranslate import BackTranslation
from .eda import EDA, RandomDeletion, RandomInsertion, RandomSwap, SynonymReplacement
from .pipeline import AugmentingPipeline, text_pipeline
from .resample import METHODS, AugmentTexts
from .wordnet import WordNet, load_wordnet

__all__ = ["SynonymReplacement", "RandomInsertion", "RandomSwap", "RandomDeletion", "EDA",
           "BackTranslation", "AugmentTexts", "AugmentingPipeline", "text_pipeline", "METHODS",
           "WordNet", "load_wordnet"]
