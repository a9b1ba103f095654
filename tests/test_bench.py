"""The benchmark's report file: a new measurement replaces the last one, and what was written around it stays."""

import importlib.util

from conftest import REPO


def _bench():
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_new_measurement_keeps_the_reading_around_it(tmp_path):
    bench = _bench()
    path = tmp_path / "benchmarks.md"
    path.write_text(bench.report(path, "| 4b | 3.20 s |\n") + "\n## Reading the figures\n\nOne YAML: why.\n")
    path.write_text(bench.report(path, "| 4b | 2.70 s |\n"))
    text = path.read_text()
    assert "2.70 s" in text and "3.20 s" not in text
    assert text.endswith("\n## Reading the figures\n\nOne YAML: why.\n")
    assert text.count(bench.START) == 1 and text.count(bench.END) == 1


def test_a_file_without_the_markers_is_replaced_whole(tmp_path):
    bench = _bench()
    path = tmp_path / "benchmarks.md"
    path.write_text("an old report\n")
    assert bench.report(path, "new\n") == bench.START + "new\n" + bench.END
    assert bench.report(tmp_path / "missing.md", "new\n") == bench.START + "new\n" + bench.END
