"""Place a session's program in real time for one run: rehearsal speed, delays, intake window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.sessions import Session
from bot.storage.repository import Run


@dataclass(frozen=True)
class Timeline:
    """Map session time (the program as written) to real time for one run, and back.

    A real run keeps the program's own times, shifted by the run's delay. A rehearsal starts its
    first segment at the run's anchor and plays `speed` times faster.
    """

    session: Session
    run: Run

    @property
    def _origin(self) -> datetime | None:
        return self.session.starts_at

    def to_real(self, session_time: datetime) -> datetime:
        """Return the real instant at which the (undelayed) session time `session_time` falls."""
        origin = self._origin
        delay = timedelta(seconds=self.run.delay_seconds)
        if origin is None or not self.run.is_rehearsal:
            return session_time + delay
        anchor = self.run.anchor_at or self.run.created_at
        return anchor + (session_time + delay - origin) / self.run.speed

    def to_session(self, real: datetime) -> datetime:
        """Return the session time (as the program is written, before delays) at a real instant."""
        origin = self._origin
        delay = timedelta(seconds=self.run.delay_seconds)
        if origin is None or not self.run.is_rehearsal:
            return real - delay
        anchor = self.run.anchor_at or self.run.created_at
        return origin + (real - anchor) * self.run.speed - delay

    def intake_open(self, now: datetime) -> bool:
        """Say whether questions are accepted at the real instant `now`."""
        if self.run.intake_override is not None:
            return self.run.intake_override == "open"
        opens, closes = self.session.intake_window
        if opens is None or closes is None:
            return False
        return self.to_real(opens) <= now < self.to_real(closes)
