//! Task checklists: seeding, adding and settling tasks.

use crate::domain::response::invalid;
use crate::domain::{
    Change, EventKind, Field, Play, ResponseError, Severity, Task, TaskSection, TaskState,
    TimelineKind, play_name, required_text,
};
use chrono::{DateTime, Utc};

/// The checklists a triaged incident gets: its play's steps and the
/// closure criteria (see the policy's `[plays]` and `[[closure]]`).
pub trait Checklists {
    fn play_steps(&self, play: Play) -> &[String];
    /// `(key, text)` of the closure criteria that apply at this severity.
    fn closure_for(&self, severity: Severity) -> Vec<(&str, &str)>;
}

impl Change {
    fn next_task_id(&self) -> u32 {
        self.incident.tasks.iter().map(|t| t.id).max().unwrap_or(0) + 1
    }

    fn push_task(&mut self, section: TaskSection, criterion: Option<&str>, text: &str) {
        let id = self.next_task_id();
        self.incident.tasks.push(Task {
            id,
            section,
            criterion: criterion.map(str::to_owned),
            text: text.to_owned(),
            owner: None,
            due: None,
            state: TaskState::Open,
            note: None,
            settled_by: None,
            settled_at: None,
        });
    }

    /// At triage (and when re-assessment picks another play): the play's
    /// steps and the closure criteria, each once.
    pub fn open_checklists(&mut self, lists: &dyn Checklists) {
        let (Some(a), Some(sev)) = (self.incident.assessment.clone(), self.incident.severity)
        else {
            return;
        };
        let had_play = self
            .incident
            .tasks
            .iter()
            .any(|t| t.section == TaskSection::Play);
        let steps = lists.play_steps(a.play).to_vec();
        let new_play = !self
            .incident
            .tasks
            .iter()
            .any(|t| t.section == TaskSection::Play && steps.contains(&t.text));
        if new_play && !steps.is_empty() {
            for s in &steps {
                self.push_task(TaskSection::Play, None, s);
            }
            let verb = if had_play { "added" } else { "opened" };
            self.record(
                "klaxon",
                TimelineKind::Task,
                format!(
                    "{verb} the {} play: {} steps",
                    play_name(a.play),
                    steps.len()
                ),
            );
        }
        for (key, text) in lists.closure_for(sev) {
            if !self
                .incident
                .tasks
                .iter()
                .any(|t| t.criterion.as_deref() == Some(key))
            {
                self.push_task(TaskSection::Closure, Some(key), text);
            }
        }
    }

    /// A follow-up (corrective) action with an owner and a due date.
    pub fn add_follow_up(
        &mut self,
        actor: &str,
        text: &str,
        owner: Option<&str>,
        due: Option<DateTime<Utc>>,
    ) -> Result<u32, ResponseError> {
        let text = required_text(Field::Text, text)?;
        let owner = owner.map(|o| required_text(Field::Owner, o)).transpose()?;
        self.push_task(TaskSection::FollowUp, None, &text);
        let id = self.next_task_id() - 1;
        if let Some(t) = self.incident.tasks.iter_mut().find(|t| t.id == id) {
            t.owner = owner.clone();
            t.due = due;
        }
        let whom = owner.map(|o| format!(", owner {o}")).unwrap_or_default();
        self.record(
            actor,
            TimelineKind::Task,
            format!("follow-up #{id} added: {text}{whom}"),
        );
        self.emit_with(EventKind::FollowUpAdded, |e| {
            e.actor = Some(actor.to_owned());
            e.task = Some(id);
        });
        Ok(id)
    }

    /// Completes or waives a task; waiving needs a reason. Settling a task
    /// the same way twice changes nothing (`Ok(false)`).
    pub fn settle_task(
        &mut self,
        actor: &str,
        id: u32,
        state: TaskState,
        note: Option<&str>,
    ) -> Result<bool, ResponseError> {
        let note = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| required_text(Field::Note, n))
            .transpose()?;
        if state == TaskState::Waived && note.is_none() {
            return Err(invalid(Field::Reason, "waiving a task needs a reason"));
        }
        let now = self.incident.updated_at;
        let task = self
            .incident
            .tasks
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or_else(|| invalid(Field::Task, format!("task #{id} does not exist")))?;
        if task.state == state {
            return Ok(false);
        }
        task.state = state;
        task.note = note.clone();
        task.settled_by = (state != TaskState::Open).then(|| actor.to_owned());
        task.settled_at = (state != TaskState::Open).then_some(now);
        let what = match state {
            TaskState::Done => "done",
            TaskState::Waived => "waived",
            TaskState::Open => "reopened",
        };
        let text = task.text.clone();
        let why = note.map(|n| format!(": {n}")).unwrap_or_default();
        self.record(
            actor,
            TimelineKind::Task,
            format!("task #{id} {what} ({text}){why}"),
        );
        Ok(true)
    }

    /// Marks the closure criterion `key` done, if open, on behalf of the step
    /// that satisfied it.
    pub fn satisfy(&mut self, actor: &str, key: &str, note: &str) {
        let id = self
            .incident
            .tasks
            .iter()
            .find(|t| t.criterion.as_deref() == Some(key) && t.state == TaskState::Open)
            .map(|t| t.id);
        if let Some(id) = id {
            let _ = self.settle_task(actor, id, TaskState::Done, Some(note));
        }
    }
}
