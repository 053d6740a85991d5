"""Optimizers against their update rules worked by hand (and torch.optim); schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnrun.core import OPTIMIZERS, make_optimizer, make_schedule

GRADIENTS = [0.5, -1.0, 0.25]  # three steps from theta = 1, lr = 0.1

# theta after each step, worked by hand from the rules in the docstrings
HAND_WORKED = {
    # theta -= 0.1 g:  1 - .05;  .95 + .1;  1.05 - .025
    ("sgd", 0.0): [0.95, 1.05, 1.025],
    # g += 0.1 theta: .6 -> .94;  -1 + .094 = -.906 -> 1.0306;  .25 + .10306 = .35306 -> .995294
    ("sgd", 0.1): [0.94, 1.0306, 0.995294],
    # b = .5 -> .95;  b = .45 - 1 = -.55 -> 1.005;  b = -.495 + .25 = -.245 -> 1.0295
    ("momentum", 0.0): [0.95, 1.005, 1.0295],
    # g = .6, b = .6 -> .94;  g = -.906, b = .54 - .906 = -.366 -> .9766;
    # g = .25 + .09766 = .34766, b = -.3294 + .34766 = .01826 -> .974774
    ("momentum", 0.1): [0.94, 0.9766, 0.974774],
    # b = .5, step g + .9 b = .95 -> .905;  b = -.55, step -1 - .495 = -1.495 -> 1.0545;
    # b = -.245, step .25 - .2205 = .0295 -> 1.05155
    ("nesterov", 0.0): [0.905, 1.0545, 1.05155],
    # g = .6, b = .6, step 1.14 -> .886;  g = -.9114, b = -.3714, step -1.24566 -> 1.010566;
    # g = .3510566, b = .01681, step .36618 -> .97394865
    ("nesterov", 0.1): [0.886, 1.010566, 0.97394865],
    # v = .01 * .25 = .0025, step .1 * .5 / (.05 + 1e-8) -> 2e-7;
    # v = .002475 + .01 = .012475, step -.1 / .1116915 -> .89532308;
    # v = .01235025 + .000625 = .01297525, step .025 / .1139090 -> .67584957
    ("rmsprop", 0.0): [2e-7, 0.89532308, 0.67584957],
    # same with g += .1 theta: .6 -> 1.7e-7;  -.999999983 -> .85863019;  .33586302 -> .58025202
    ("rmsprop", 0.1): [1.7e-7, 0.85863019, 0.58025202],
    # s = .25, step .1 * .5 / .5 -> .9;  s = 1.25, step -.1 / 1.118034 -> .98944272;
    # s = 1.3125, step .025 / 1.1456439 -> .96762093
    ("adagrad", 0.0): [0.9, 0.98944272, 0.96762093],
    # g = .6, s = .36 -> .9;  g = -.91, s = 1.1881 -> .98348624;
    # g = .34834862, s = 1.30944676 -> .95304445
    ("adagrad", 0.1): [0.9, 0.98348624, 0.95304445],
    # m = .05, v = .00025; m_hat = .5, v_hat = .25 -> 1 - .1 * .5 / .5 = .9;
    # m = -.055, v = .00124975; m_hat = -.28947368, v_hat = .62518759 -> .93661035;
    # m = -.0245, v = .00131100; m_hat = -.09040590, v_hat = .43741257 -> .95027942
    ("adam", 0.0): [0.9, 0.93661035, 0.95027942],
    ("adam", 0.1): [0.9, 0.92526352, 0.92473057],
}


@pytest.mark.parametrize(("name", "weight_decay"), list(HAND_WORKED))
def test_update_rule_worked_by_hand(name, weight_decay):
    opt = make_optimizer(name, lr=0.1, weight_decay=weight_decay)
    theta = np.array([1.0])
    untouched = np.array([1.0, 2.0])  # a second array, with a zero gradient and no decay
    for gradient, expected in zip(GRADIENTS, HAND_WORKED[(name, weight_decay)], strict=True):
        grad = np.array([gradient])
        opt.step([theta, untouched], [grad, np.zeros(2)])
        assert grad[0] == gradient  # the caller's gradient is left alone
        assert theta[0] == pytest.approx(expected, abs=1e-8)
    if weight_decay == 0.0:
        np.testing.assert_array_equal(untouched, [1.0, 2.0])
    else:
        assert untouched[0] < 1.0


def test_defaults_follow_torch():
    assert repr(make_optimizer("sgd", lr=0.1)) == (
        "SGD(lr=0.1, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0)"
    )
    assert repr(make_optimizer("momentum", lr=0.1)) == (
        "Momentum(lr=0.1, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0)"
    )
    assert make_optimizer("nesterov", lr=0.1).momentum == 0.9
    assert make_optimizer("momentum", lr=0.1, momentum=0.5).momentum == 0.5
    assert repr(make_optimizer("adam", lr=1e-3)) == (
        "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0)"
    )
    assert repr(make_optimizer("rmsprop", lr=0.01)) == (
        "RMSprop(lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0.0)"
    )
    assert make_optimizer("adagrad", lr=0.01).eps == 1e-10
    assert make_optimizer("adagrad", lr=0.01, eps=1e-8).eps == 1e-8
    assert set(OPTIMIZERS) == {"sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam"}


def test_bad_optimizer_settings():
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        make_optimizer("lbfgs", lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        make_optimizer("sgd", lr=-1.0)
    with pytest.raises(ValueError, match="Nesterov momentum needs momentum > 0"):
        make_optimizer("nesterov", lr=0.1, momentum=0.0)
    with pytest.raises(ValueError, match="adam takes no option amsgrad"):
        make_optimizer("adam", lr=0.1, amsgrad=True)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_state_dict_round_trip_continues_identically(name):
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 2)) for _ in range(6)]
    straight, resumed = np.ones((3, 2)), np.ones((3, 2))
    first = make_optimizer(name, lr=0.05, weight_decay=0.01)
    for grad in grads:
        first.step([straight], [grad])
    second = make_optimizer(name, lr=0.05, weight_decay=0.01)
    for grad in grads[:3]:
        second.step([resumed], [grad])
    state = second.state_dict()
    third = make_optimizer(name, lr=0.05, weight_decay=0.01)
    third.load_state_dict(state)
    for grad in grads[3:]:
        third.step([resumed], [grad])
    np.testing.assert_array_equal(straight, resumed)
    with pytest.raises(ValueError, match="cannot be loaded"):
        make_optimizer("sgd" if name != "sgd" else "adam", lr=0.1).load_state_dict(state)


TORCH_EQUIVALENTS = {
    "sgd": lambda torch, params, wd: torch.optim.SGD(params, lr=0.05, weight_decay=wd),
    "momentum": lambda torch, params, wd: torch.optim.SGD(
        params, lr=0.05, momentum=0.9, weight_decay=wd
    ),
    "nesterov": lambda torch, params, wd: torch.optim.SGD(
        params, lr=0.05, momentum=0.9, nesterov=True, weight_decay=wd
    ),
    "rmsprop": lambda torch, params, wd: torch.optim.RMSprop(params, lr=0.05, weight_decay=wd),
    "adagrad": lambda torch, params, wd: torch.optim.Adagrad(params, lr=0.05, weight_decay=wd),
    "adam": lambda torch, params, wd: torch.optim.Adam(params, lr=0.05, weight_decay=wd),
}


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_matches_torch_optim(name, weight_decay):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    ours = [rng.normal(size=(4, 3)), rng.normal(size=4)]
    theirs = [torch.tensor(theta.copy(), requires_grad=True) for theta in ours]
    opt = make_optimizer(name, lr=0.05, weight_decay=weight_decay)
    torch_opt = TORCH_EQUIVALENTS[name](torch, theirs, weight_decay)
    for _ in range(5):
        grads = [rng.normal(size=theta.shape) for theta in ours]
        opt.step(ours, grads)
        for tensor, grad in zip(theirs, grads, strict=True):
            tensor.grad = torch.tensor(grad)
        torch_opt.step()
    for theta, tensor in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(theta, tensor.detach().numpy(), rtol=1e-12, atol=1e-14)


# -- schedules -----------------------------------------------------------------------------


def test_schedule_values():
    assert [make_schedule("constant", 0.1, 10)(epoch) for epoch in (0, 5, 9)] == [0.1] * 3
    step = make_schedule("step", 1.0, 9)  # step_size 9 // 3 = 3, gamma 0.1
    assert [step(epoch) for epoch in range(7)] == pytest.approx(
        [1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.01]
    )
    assert make_schedule("step", 1.0, 2)(1) == pytest.approx(0.1)  # step_size max(1, 0)
    custom = make_schedule("step", 1.0, 100, step_size=2, gamma=0.5)
    assert [custom(epoch) for epoch in range(5)] == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.25])
    exponential = make_schedule("exponential", 2.0, 10)
    assert [exponential(epoch) for epoch in range(3)] == pytest.approx([2.0, 1.9, 1.805])
    assert make_schedule("exponential", 2.0, 10, gamma=0.5)(3) == pytest.approx(0.25)
    cosine = make_schedule("cosine", 1.0, 4, min_lr=0.2)
    # 0.2 + 0.8 (1 + cos(pi e / 4)) / 2
    expected = [1.0, 0.2 + 0.4 * (1 + math.sqrt(0.5)), 0.6, 0.2 + 0.4 * (1 - math.sqrt(0.5)), 0.2]
    assert [cosine(epoch) for epoch in range(5)] == pytest.approx(expected)


def test_bad_schedules():
    with pytest.raises(ValueError, match="unknown schedule 'linear'"):
        make_schedule("linear", 0.1, 10)
    with pytest.raises(ValueError, match="step_size"):
        make_schedule("step", 0.1, 10, step_size=0)
