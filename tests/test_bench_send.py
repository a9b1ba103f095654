"""The delivery benchmark's section of docs/benchmarks.md: its own markers, the build benchmark's section kept."""

import importlib.util

from conftest import REPO


def _load(name):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_benchmark_replaces_only_its_own_section(tmp_path):
    build, send = _load("run"), _load("send")
    path = tmp_path / "benchmarks.md"
    path.write_text(build.report(path, "| cold | 100 s |\n") + "\n## Reading the figures\n\nWhy.\n")
    path.write_text(send.section(path, "| send | 25/s |\n"))
    assert path.read_text().endswith("Why.\n\n" + send.START + "| send | 25/s |\n" + send.END)
    path.write_text(send.section(path, "| send | 30/s |\n"))
    path.write_text(build.report(path, "| cold | 90 s |\n"))
    text = path.read_text()
    assert text == (
        build.START
        + "| cold | 90 s |\n"
        + build.END
        + "\n## Reading the figures\n\nWhy.\n\n"
        + send.START
        + "| send | 30/s |\n"
        + send.END
    )
    assert send.section(tmp_path / "missing.md", "new\n") == send.START + "new\n" + send.END
