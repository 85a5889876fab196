import time

from benchmarks import harness, run


def test_measure_alternates_and_reports_ratio_and_quality():
    calls = []

    def ours(data):
        calls.append("ours")
        time.sleep(0.002)
        return 0.9

    def ref(data):
        calls.append("ref")
        time.sleep(0.006)
        return 0.8

    c = harness.Case(name="fake", group="g", setup=lambda quick: None, ours=ours, reference=ref,
                     reference_name="r", quality_name="acc", target=1.0, repeats=4)
    m = harness.measure(c)
    # one warm-up each, then four repeats whose order flips every time
    assert calls == ["ours", "ref", "ours", "ref", "ref", "ours", "ours", "ref", "ref", "ours"]
    assert len(m.times_ours) == len(m.times_reference) == 4
    assert 0 < m.ratio < 1 and m.meets_target is True
    assert (m.ours_quality, m.reference_quality) == (0.9, 0.8)
    assert "| fake | r |" in run.table([m])


def test_every_registered_case_has_a_reference_and_quality():
    cases = run.load_cases()
    assert len(cases) >= 20
    names = [c.name for c in cases]
    assert len(names) == len(set(names))
    for c in cases:
        assert c.reference_name and c.quality_name
        assert c.target is None or c.target > 0
