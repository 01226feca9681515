import pytest

from unmt.schedules import PiecewiseLinear


def test_piecewise_linear_interpolates_and_holds_ends():
    schedule = PiecewiseLinear.parse("0:1,10000:0.1")
    assert schedule(0) == 1.0
    assert schedule(5000) == pytest.approx(0.55)
    assert schedule(10000) == pytest.approx(0.1)
    assert schedule(50000) == pytest.approx(0.1)


def test_constant_and_delayed_schedules():
    assert PiecewiseLinear.parse("0.3")(123) == pytest.approx(0.3)
    assert PiecewiseLinear.parse(2)(0) == 2.0
    delayed = PiecewiseLinear.parse("0:0,100:0,200:1")
    assert delayed(50) == 0 and delayed(150) == pytest.approx(0.5)


@pytest.mark.parametrize("spec", ["abc", "0:1,0:2", "10:1,5:2", "1:2:3"])
def test_bad_schedules_are_rejected(spec):
    with pytest.raises(ValueError):
        PiecewiseLinear.parse(spec)
