//! The event queue: events ordered by (time, sequence number), so that events at the
//! same simulated time are delivered in the order they were scheduled. Popping an event
//! moves the queue's clock to its time; scheduling in the past is an error.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::time::SimTime;

/// Identity of a scheduled event: its sequence number, unique within a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub u64);

/// Errors of scheduling.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// An event was scheduled before the queue's current time.
    #[error("cannot schedule at {at}: the simulation is already at {now}")]
    InThePast {
        /// Requested time.
        at: SimTime,
        /// Current time.
        now: SimTime,
    },
}

#[derive(Debug)]
struct Entry<E> {
    at: SimTime,
    id: EventId,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.id) == (other.at, other.id)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.id).cmp(&(other.at, other.id))
    }
}

/// A deterministic priority queue of events with a logical clock.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Entry<E>>>,
    now: SimTime,
    next_id: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self {
            heap: BinaryHeap::new(),
            now: SimTime::ZERO,
            next_id: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// The time of the last delivered event.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event waits.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Schedules `event` at `at`.
    pub fn schedule(&mut self, at: SimTime, event: E) -> Result<EventId, QueueError> {
        if at < self.now {
            return Err(QueueError::InThePast { at, now: self.now });
        }
        Ok(self.push(at, event))
    }

    /// Schedules `event` `delay_ms` after now (never in the past).
    pub fn schedule_in(&mut self, delay_ms: u64, event: E) -> EventId {
        self.push(self.now.plus_millis(delay_ms), event)
    }

    fn push(&mut self, at: SimTime, event: E) -> EventId {
        let id = EventId(self.next_id);
        self.next_id += 1;
        self.heap.push(Reverse(Entry { at, id, event }));
        id
    }

    /// Time of the next event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|Reverse(e)| e.at)
    }

    /// Delivers the next event and moves the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, EventId, E)> {
        let Reverse(e) = self.heap.pop()?;
        self.now = e.at;
        Some((e.at, e.id, e.event))
    }

    /// Delivers the next event if it is due at or before `until`.
    pub fn pop_until(&mut self, until: SimTime) -> Option<(SimTime, EventId, E)> {
        if self.peek_time()? > until {
            return None;
        }
        self.pop()
    }

    /// Moves the clock forward to `to` without delivering anything (no event may be due before it).
    pub fn advance_to(&mut self, to: SimTime) -> Result<(), QueueError> {
        if to < self.now {
            return Err(QueueError::InThePast {
                at: to,
                now: self.now,
            });
        }
        if let Some(next) = self.peek_time() {
            if next < to {
                return Err(QueueError::InThePast { at: next, now: to });
            }
        }
        self.now = to;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivers_by_time_then_by_scheduling_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_secs(2), "b1").unwrap();
        q.schedule(SimTime::from_secs(1), "a").unwrap();
        q.schedule(SimTime::from_secs(2), "b2").unwrap();
        q.schedule(SimTime::from_secs(2), "b3").unwrap();
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, _, e)| e)).collect();
        assert_eq!(order, ["a", "b1", "b2", "b3"]);
        assert_eq!(q.now(), SimTime::from_secs(2));
    }

    #[test]
    fn the_past_is_closed() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_secs(5), ()).unwrap();
        q.pop();
        assert_eq!(
            q.schedule(SimTime::from_secs(4), ()),
            Err(QueueError::InThePast {
                at: SimTime::from_secs(4),
                now: SimTime::from_secs(5)
            })
        );
        let id = q.schedule_in(0, ());
        assert_eq!(
            q.pop().map(|(t, i, _)| (t, i)),
            Some((SimTime::from_secs(5), id))
        );
    }

    #[test]
    fn pop_until_and_advance_respect_due_events() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_secs(10), 1).unwrap();
        assert!(q.pop_until(SimTime::from_secs(9)).is_none());
        assert!(
            q.advance_to(SimTime::from_secs(11)).is_err(),
            "would skip a due event"
        );
        q.advance_to(SimTime::from_secs(10)).unwrap();
        assert_eq!(
            q.pop_until(SimTime::from_secs(10)).map(|(_, _, e)| e),
            Some(1)
        );
    }
}
