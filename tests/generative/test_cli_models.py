"""The model table behind `mlatlas train/sample` and the prompt-to-label stand-in (no torch needed)."""

from __future__ import annotations

import importlib.util

import pytest

from mlatlas.generative import cli_support


@pytest.mark.parametrize("prompt, label", [("7", 7), ("seven", 7), ("A Seven", 7), ("七", 7), ("draw a 3", 3),
                                           ("zero", 0), ("〇", 0), ("九", 9), ("  two ", 2)])
def test_prompt_names_one_digit(prompt, label):
    assert cli_support.label_from_prompt(prompt) == label


@pytest.mark.parametrize("prompt, words", [("a dog", "no digit"), ("", "no digit"), ("3 or 4", "several"),
                                           ("seven 八", "several"), ("someone", "no digit")])
def test_prompt_without_exactly_one_digit_is_refused(prompt, words):
    with pytest.raises(ValueError, match=words):
        cli_support.label_from_prompt(prompt)


def test_every_model_names_an_importable_module():
    for name, spec in cli_support.MODELS.items():
        module = spec.target.partition(":")[0]
        assert importlib.util.find_spec(module) is not None, name


def test_unknown_model_lists_the_known_ones():
    with pytest.raises(ValueError, match="vae"):
        cli_support.model_class("nope")
