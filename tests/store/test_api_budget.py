"""The API budget (S1): counted before each call, never exceeded, even by overlapping runs."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from crm_pipelines.crm.errors import BudgetExhausted
from crm_pipelines.store.api_budget import ApiBudget, busiest_window

T0 = datetime(2026, 5, 1, 9, 30, 15, tzinfo=UTC)


class FakeTime:
    """A clock the test moves by hand (the budget's only notion of time)."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at


def test_reserve_counts_until_the_limit_then_refuses_without_counting(db):
    clock = FakeTime(T0)
    budget = ApiBudget(db, "acme", daily_limit=3, clock=clock)
    for expected_used in (1, 2, 3):
        assert budget.reserve().used == expected_used
    with pytest.raises(BudgetExhausted) as refused:
        budget.reserve()
    assert budget.status().used == 3
    assert "3 of 3" in str(refused.value)
    assert refused.value.resume_at == T0.replace(second=0) + timedelta(hours=24, minutes=1)


def test_the_window_rolls_calls_older_than_24_hours_free_up(db):
    clock = FakeTime(T0)
    budget = ApiBudget(db, "acme", daily_limit=2, clock=clock)
    budget.reserve()
    clock.at = T0 + timedelta(hours=12)
    budget.reserve()
    with pytest.raises(BudgetExhausted):
        budget.reserve()
    clock.at = T0 + timedelta(hours=24, minutes=1)
    assert budget.reserve().used == 2  # the first call left the window, the second still counts
    with pytest.raises(BudgetExhausted) as refused:
        budget.reserve()
    assert refused.value.resume_at == (T0 + timedelta(hours=12)).replace(second=0) + timedelta(hours=24, minutes=1)


def test_tenants_have_separate_budgets(db):
    clock = FakeTime(T0)
    ApiBudget(db, "acme", 1, clock).reserve()
    assert ApiBudget(db, "globex", 1, clock).reserve().used == 1
    with pytest.raises(BudgetExhausted):
        ApiBudget(db, "acme", 1, clock).reserve()


def test_overlapping_runs_never_exceed_the_limit_together(db):
    clock = FakeTime(T0)
    granted: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        budget = ApiBudget(db, "acme", daily_limit=40, clock=clock)
        for _ in range(30):
            try:
                budget.reserve()
            except BudgetExhausted:
                continue
            with lock:
                granted.append(1)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 40
    assert ApiBudget(db, "acme", 40, clock).status().used == 40


def test_a_limit_lowered_below_what_the_window_spent_says_so(db):
    clock = FakeTime(T0)
    ApiBudget(db, "acme", daily_limit=18, clock=clock).reserve(18)
    with pytest.raises(BudgetExhausted) as refused:
        ApiBudget(db, "acme", daily_limit=6, clock=clock).reserve()
    message = str(refused.value)
    assert "18 of 6" not in message
    assert "18 calls in the last 24 hours, over the daily limit of 6" in message


def test_the_busiest_window_is_what_the_limit_held_over_several_days(db):
    clock = FakeTime(T0)
    budget = ApiBudget(db, "acme", daily_limit=12, clock=clock)
    for day in range(3):  # 12 calls a day, three days: 36 in all, never more than 12 in one window
        clock.at = T0 + timedelta(days=day, minutes=2 * day)
        budget.reserve(5)
        clock.at += timedelta(hours=20)
        budget.reserve(7)
    assert busiest_window(db, "acme") == 12
    assert busiest_window(db, "globex") == 0
