"""The Dask settings the cluster benchmark starts its clusters with (bench/cluster.py), which docs/cluster.md tells
a cluster's owner to use: Dask ignores a key it does not know, so a misspelt one would cut nothing, silently."""

import importlib.util

import pytest
from conftest import REPO

dask = pytest.importorskip("dask")
pytest.importorskip("distributed")  # its defaults join Dask's settings on import


def _cluster_bench():
    spec = importlib.util.spec_from_file_location("bench_cluster", REPO / "bench" / "cluster.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_setting_is_one_of_dasks_and_its_variable_gives_it_back():
    bench = _cluster_bench()
    for settings in bench.SETTINGS.values():
        for key in settings:
            assert dask.config.get(key, default=None) is not None, f"{key} is not a Dask setting"
        with dask.config.set(dask.config.collect_env(bench.dask_env(settings))):
            assert {key: dask.config.get(key) for key in settings} == settings


def test_the_documented_commands_use_the_benchmarks_settings():
    bench = _cluster_bench()
    docs = (REPO / "docs" / "cluster.md").read_text("utf-8")
    for variable, value in bench.dask_env(bench.TUNED).items():
        assert f"{variable}={value}" in docs
