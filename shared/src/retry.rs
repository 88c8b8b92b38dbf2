//! One retry policy: how often a step that met contention is tried, and how
//! long to wait between tries. Every bounded retry in Klaxon runs through
//! [`Backoff::run`], so the loop exists once; each use names its own bounds.
//! Pure apart from the sleep: it imports nothing of Klaxon's.

use std::future::Future;
use std::ops::Range;
use std::time::Duration;

/// How the wait grows from one retry to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Growth {
    /// `base * n` before the n-th retry.
    Linear,
    /// `base * 2^(n-1)` before the n-th retry.
    Doubling,
}

/// A bounded retry: `attempts` tries in all, the first included, with a
/// wait before each retry that grows from `base`, at most `cap`, plus up to
/// `jitter` drawn afresh each time (so contenders that collided once do not
/// collide again in step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub attempts: u32,
    pub base: Duration,
    pub growth: Growth,
    pub cap: Duration,
    pub jitter: Duration,
}

/// What one try came to.
#[derive(Debug)]
pub enum Try<T, S, E> {
    /// Finished with this value.
    Done(T),
    /// Worth another try, from `S`; when none is left, the answer is `E`.
    Again(S, E),
}

impl Backoff {
    /// Tries again at once: for a retry that reads afresh, where waiting
    /// buys nothing (an optimistic write that lost, a value redrawn).
    pub const fn immediate(attempts: u32) -> Self {
        Self {
            attempts,
            base: Duration::ZERO,
            growth: Growth::Linear,
            cap: Duration::ZERO,
            jitter: Duration::ZERO,
        }
    }

    /// The wait before retry `n` (1 for the first retry), as the range it
    /// is drawn from: the grown, capped delay, up to `jitter` more.
    pub fn delay(&self, n: u32) -> Range<Duration> {
        let factor = match self.growth {
            Growth::Linear => n,
            Growth::Doubling => 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX),
        };
        let start = self.base.saturating_mul(factor).min(self.cap);
        start..start.saturating_add(self.jitter)
    }

    /// A wait for retry `n`, drawn by the millisecond from [`Self::delay`]:
    /// `draw(k)` picks a number below `k`.
    fn pick(&self, n: u32, draw: impl FnOnce(u64) -> u64) -> Duration {
        let Range { start, end } = self.delay(n);
        let spread = u64::try_from((end - start).as_millis()).unwrap_or(u64::MAX);
        let extra = if spread == 0 { 0 } else { draw(spread) };
        start.saturating_add(Duration::from_millis(extra))
    }

    async fn wait(&self, n: u32) {
        let wait = self.pick(n, |k| rand::random_range(0..k));
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Runs `step` from `state` until it is done, fails, or has had its
    /// `attempts`. A step that asks for another try hands over the state
    /// the next one starts from and the error to answer with if none is
    /// left; an `Err` ends the run at once. No wait follows the last try.
    pub async fn run<S, T, E, F, Fut>(self, mut state: S, mut step: F) -> Result<T, E>
    where
        F: FnMut(S) -> Fut,
        Fut: Future<Output = Result<Try<T, S, E>, E>>,
    {
        let mut tried = 0u32;
        loop {
            tried += 1;
            match step(state).await? {
                Try::Done(value) => return Ok(value),
                Try::Again(_, e) if tried >= self.attempts => return Err(e),
                Try::Again(next, _) => {
                    self.wait(tried).await;
                    state = next;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Each use's schedule, retry by retry, as the loops it replaced slept.
    #[test]
    fn delay_table() {
        let linear = Backoff {
            attempts: 12,
            base: ms(2),
            growth: Growth::Linear,
            cap: ms(24),
            jitter: ms(8),
        };
        let doubling = Backoff {
            attempts: 5,
            base: ms(40),
            growth: Growth::Doubling,
            cap: ms(320),
            jitter: ms(20),
        };
        let capped = Backoff {
            cap: ms(100),
            jitter: Duration::ZERO,
            ..doubling
        };
        let cases = [
            (linear, 1, ms(2)..ms(10)),
            (linear, 2, ms(4)..ms(12)),
            (linear, 11, ms(22)..ms(30)),
            (linear, 40, ms(24)..ms(32)),
            (doubling, 1, ms(40)..ms(60)),
            (doubling, 2, ms(80)..ms(100)),
            (doubling, 4, ms(320)..ms(340)),
            (doubling, 9, ms(320)..ms(340)),
            (capped, 2, ms(80)..ms(80)),
            (capped, 3, ms(100)..ms(100)),
            // Far past any bound: capped, never an overflow.
            (capped, u32::MAX, ms(100)..ms(100)),
            (Backoff::immediate(5), 1, ms(0)..ms(0)),
            (Backoff::immediate(5), 4, ms(0)..ms(0)),
        ];
        for (policy, n, want) in cases {
            assert_eq!(policy.delay(n), want, "{policy:?} retry {n}");
        }
    }

    /// `attempts` tries in all; the last one's error when none is left; an
    /// error or a value ends the run at once; the state carries over.
    #[tokio::test]
    async fn run_table() {
        // (tries that ask for another before one is done, attempts) -> (result, tries made)
        let cases: [(u32, u32, Result<u32, String>, u32); 5] = [
            (0, 3, Ok(0), 1),
            (2, 3, Ok(2), 3),
            (3, 3, Err("busy after 3".into()), 3),
            (9, 1, Err("busy after 1".into()), 1),
            (9, 4, Err("busy after 4".into()), 4),
        ];
        for (busy, attempts, want, tries) in cases {
            let policy = Backoff {
                attempts,
                ..Backoff::immediate(0)
            };
            let mut made = 0;
            let got = policy
                .run(0u32, |seen| {
                    made += 1;
                    let n = made;
                    async move {
                        assert_eq!(seen, n - 1, "the state carries over");
                        Ok(if seen < busy {
                            Try::Again(seen + 1, format!("busy after {n}"))
                        } else {
                            Try::Done(seen)
                        })
                    }
                })
                .await;
            assert_eq!(
                (got, made),
                (want, tries),
                "busy {busy}, attempts {attempts}"
            );
        }
        let mut made = 0;
        let failed: Result<(), &str> = Backoff::immediate(5)
            .run((), |()| {
                made += 1;
                async { Err("refused") }
            })
            .await;
        assert_eq!((failed, made), (Err("refused"), 1));
    }

    /// A jittered wait stays inside its range, whatever is drawn.
    #[test]
    fn waits_stay_in_range() {
        let policy = Backoff {
            attempts: 3,
            base: ms(5),
            growth: Growth::Doubling,
            cap: ms(80),
            jitter: ms(20),
        };
        for n in 1..=3 {
            let Range { start, end } = policy.delay(n);
            assert_eq!(policy.pick(n, |_| 0), start);
            assert_eq!(policy.pick(n, |k| k - 1), end - ms(1));
            for _ in 0..200 {
                let w = policy.pick(n, |k| rand::random_range(0..k));
                assert!(start <= w && w < end, "retry {n}: {w:?}");
            }
        }
        assert_eq!(Backoff::immediate(3).pick(2, |_| unreachable!()), ms(0));
    }
}
