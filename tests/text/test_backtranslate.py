"""Back-translation through Apertium: different English back, one process per batch and
direction, and a clear error when Apertium is missing."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from fitwell.errors import DataError
from fitwell.text import BackTranslation, backtranslate

needs_apertium = pytest.mark.skipif(shutil.which("apertium") is None,
                                    reason="Debian's apertium and apertium-eng-spa are not "
                                           "installed")
SENTENCES = ["the rock is destined to be the 21st century's new conan .",
             "a masterpiece four years in the making .",
             "it's always fascinating to watch marker the essayist at work ."]


@needs_apertium
def test_back_translation_returns_different_english_one_process_per_batch(monkeypatch):
    calls = []
    run = subprocess.run

    def counting_run(args, **kwargs):
        calls.append(args[-1])
        return run(args, **kwargs)

    monkeypatch.setattr(backtranslate.subprocess, "run", counting_run)
    out = BackTranslation(rng=np.random.default_rng(0), batch_size=2)(SENTENCES)
    assert calls == ["eng-spa", "spa-eng", "eng-spa", "spa-eng"]  # 2 batches, not 3 sentences
    assert len(out) == len(SENTENCES) and all(out)
    assert out != SENTENCES
    changed = [a for a, b in zip(out, SENTENCES, strict=True) if a.lower() != b.lower()]
    assert changed
    # English came back: most of its words are words of the input
    for before, after in zip(SENTENCES, out, strict=True):
        shared = set(after.lower().split()) & set(before.lower().split())
        assert len(shared) >= len(after.split()) // 3


@needs_apertium
def test_probability_p_chooses_which_sentences_are_back_translated():
    out = BackTranslation(rng=np.random.default_rng(0), p=0.5)(SENTENCES * 10)
    kept = sum(a == b for a, b in zip(out, SENTENCES * 10, strict=True))
    assert 5 <= kept <= 25


def test_missing_apertium_names_the_debian_packages(monkeypatch):
    monkeypatch.setattr(backtranslate.shutil, "which", lambda name: None)
    with pytest.raises(DataError, match="apertium-eng-spa"):
        BackTranslation(rng=np.random.default_rng(0))(SENTENCES)


@needs_apertium
def test_missing_language_pair_names_the_debian_package(monkeypatch):
    with pytest.raises(DataError, match="apertium-eng-spa"):
        backtranslate.translate(["a film"], "eng-xxx")
