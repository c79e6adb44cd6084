//! Lockout arithmetic: after `threshold` consecutive failures a temporary lock of
//! `base · 2^level`, capped at `max`; `level` grows with every lock and a success resets both.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub threshold: u32,
    pub base_secs: i64,
    pub max_secs: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct State {
    pub failures: u32,
    pub locked_until: Option<i64>,
    pub level: u32,
}

impl State {
    pub fn locked_at(&self, now: i64) -> Option<i64> {
        self.locked_until.filter(|u| *u > now)
    }
}

impl Policy {
    /// The length of the lock number `level` (0-based).
    pub fn lock_secs(&self, level: u32) -> i64 {
        let factor = 1i64.checked_shl(level.min(40)).unwrap_or(i64::MAX);
        self.base_secs.saturating_mul(factor).min(self.max_secs)
    }

    /// The state after one more failure at `now`.
    pub fn on_failure(&self, s: State, now: i64) -> State {
        let failures = s.failures + 1;
        if failures >= self.threshold.max(1) {
            State {
                failures: 0,
                locked_until: Some(now + self.lock_secs(s.level)),
                level: s.level + 1,
            }
        } else {
            State {
                failures,
                locked_until: s.locked_until,
                level: s.level,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Policy = Policy {
        threshold: 5,
        base_secs: 900,
        max_secs: 86_400,
    };

    #[test]
    fn five_failures_lock_for_fifteen_minutes() {
        let mut s = State::default();
        for i in 1..5 {
            s = P.on_failure(s, 1_000);
            assert_eq!(s.failures, i);
            assert_eq!(s.locked_at(1_000), None);
        }
        s = P.on_failure(s, 1_000);
        assert_eq!(s.locked_at(1_000), Some(1_900));
        assert_eq!(s.failures, 0);
        assert_eq!(s.locked_at(1_900), None, "the lock ends on time");
    }

    #[test]
    fn locks_double_up_to_a_day() {
        let got: Vec<i64> = (0..10).map(|l| P.lock_secs(l)).collect();
        assert_eq!(
            got,
            vec![
                900, 1_800, 3_600, 7_200, 14_400, 28_800, 57_600, 86_400, 86_400, 86_400
            ]
        );
        assert_eq!(P.lock_secs(u32::MAX), 86_400, "no overflow");
        let mut s = State::default();
        let mut now = 0;
        for expected in [900, 1_800, 3_600] {
            for _ in 0..5 {
                s = P.on_failure(s, now);
            }
            assert_eq!(s.locked_until, Some(now + expected));
            now = s.locked_until.unwrap();
        }
    }
}
