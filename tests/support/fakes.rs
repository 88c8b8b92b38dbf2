//! Stand-ins for the publish and notify ports that record what they were
//! given and fail when told to.

use async_trait::async_trait;
use klaxon_core::domain::DomainEvent;
use klaxon_core::ports::{EventPublisher, Message, Notifier, NotifyError, PublishError};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Records published events; refuses the first `fail_first` calls.
#[derive(Default)]
pub struct RecordingPublisher {
    pub events: Mutex<Vec<DomainEvent>>,
    fail_first: AtomicUsize,
}

impl RecordingPublisher {
    pub fn failing(times: usize) -> Self {
        Self {
            events: Mutex::default(),
            fail_first: AtomicUsize::new(times),
        }
    }

    /// Refuses the next `times` calls, from now on.
    pub fn fail_next(&self, times: usize) {
        self.fail_first.store(times, Ordering::SeqCst);
    }

    pub fn published(&self) -> Vec<DomainEvent> {
        self.events.lock().expect("lock").clone()
    }
}

#[async_trait]
impl EventPublisher for RecordingPublisher {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PublishError> {
        let left = self.fail_first.load(Ordering::SeqCst);
        if left > 0 {
            self.fail_first.store(left - 1, Ordering::SeqCst);
            return Err(PublishError::Unavailable("injected outage".into()));
        }
        self.events.lock().expect("lock").extend_from_slice(events);
        Ok(())
    }
}

/// Records messages; refuses the first `fail_first` sends.
#[derive(Default)]
pub struct RecordingNotifier {
    pub messages: Mutex<Vec<Message>>,
    fail_first: AtomicUsize,
}

impl RecordingNotifier {
    pub fn failing(times: usize) -> Self {
        Self {
            messages: Mutex::default(),
            fail_first: AtomicUsize::new(times),
        }
    }

    pub fn sent(&self) -> Vec<Message> {
        self.messages.lock().expect("lock").clone()
    }
}

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn send(&self, m: &Message) -> Result<(), NotifyError> {
        let left = self.fail_first.load(Ordering::SeqCst);
        if left > 0 {
            self.fail_first.store(left - 1, Ordering::SeqCst);
            return Err(NotifyError::Unavailable("injected outage".into()));
        }
        self.messages.lock().expect("lock").push(m.clone());
        Ok(())
    }
}
