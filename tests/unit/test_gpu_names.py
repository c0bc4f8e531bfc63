import pytest

from leveret.worker.gpus import short_name


@pytest.mark.parametrize("name, short", [
    ("NVIDIA H100 80GB HBM3", "H100"),
    ("NVIDIA H200", "H200"),
    ("Tesla T4", "T4"),
    ("NVIDIA A100-SXM4-80GB", "A100"),
    ("NVIDIA RTX A6000", "A6000"),
    ("", ""),
])
def test_short_names(name, short):
    assert short_name(name) == short
