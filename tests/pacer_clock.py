"""A hand-driven clock and rate-limit headers for the Procore pacer's tests: no HTTP, exact waits."""


class Clock:
    """``now`` as the pacer's clock; ``sleep`` advances it and records each wait."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    """The ``X-Rate-Limit-*`` headers of one Procore answer."""
    return {
        "X-Rate-Limit-Limit": str(limit),
        "X-Rate-Limit-Remaining": str(remaining),
        "X-Rate-Limit-Reset": str(reset),
    }
