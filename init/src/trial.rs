//! The first boot of a system slot that `ibox sysupgrade` just wrote: init
//! keeps the new slot (puts it first in the firmware's boot order) once the
//! image's critical services are up, and reboots if they are not up by the
//! deadline, so that the firmware goes back to the previous slot. The
//! previous slot's init then finds the trial unconfirmed and records that
//! it failed. The mechanism is in the `ibex_slots` crate.

use crate::supervisor::{State, Supervisor};
use ibex_plan::{Confirm, Kind};
use ibex_slots::{Disk, Trial};
use std::time::{Duration, Instant};

/// A trial boot in progress.
pub struct Pending {
    trial: Trial,
    disk: Disk,
    critical: Vec<usize>,
    started: Instant,
    deadline: Instant,
}

/// What the main loop does next about the trial.
pub enum Step {
    /// Nothing yet; look again within this time.
    Wait(Duration),
    /// Confirmed or settled: no more trial.
    Done,
    /// The deadline passed: reboot.
    Reboot,
}

/// At boot (system mode): looks for an unconfirmed trial. On the slot
/// being tried it returns the trial to watch; on the other slot the trial
/// has failed, which is recorded and logged.
pub fn at_boot(confirm: &Confirm) -> Option<Pending> {
    if !ibex_slots::efivars::available() {
        return None;
    }
    let trial = match Trial::pending() {
        Ok(Some(t)) => t,
        Ok(None) => return None,
        Err(e) => {
            crate::log!("upgrade: {e}; forgetting it");
            let _ = Trial::clear();
            return None;
        }
    };
    let running = ibex_slots::current();
    if trial.slot != running {
        let line = format!(
            "failed: slot {} (Ibex {}) did not come up; back on slot {running}",
            trial.slot, trial.version
        );
        crate::log!("upgrade: {line}");
        settle(&line);
        return None;
    }
    let disk = match Disk::find() {
        Ok(d) => d,
        Err(e) => {
            crate::log!("upgrade: trial of slot {running}: {e}");
            return None;
        }
    };
    let secs = confirm.deadline_secs;
    crate::log!(
        "upgrade: trial boot of slot {running} (Ibex {}): keeping it once its critical services are up (within {secs} s)",
        trial.version
    );
    let now = Instant::now();
    Some(Pending {
        trial,
        disk,
        critical: confirm.critical.iter().map(|&i| usize::from(i)).collect(),
        started: now,
        deadline: now + Duration::from_secs(u64::from(secs)),
    })
}

impl Pending {
    /// Checks the critical services; confirms the slot when all are up.
    pub fn check(&self, supervisor: &Supervisor) -> Step {
        let up = |i: &usize| {
            supervisor.services.get(*i).is_some_and(|s| match s.state {
                State::Running { ready, .. } => ready && s.service.kind == Kind::Daemon,
                State::Done => true,
                _ => false,
            })
        };
        if self.critical.iter().all(up) {
            let slot = self.trial.slot;
            let took = self.started.elapsed().as_secs_f32();
            match ibex_slots::mark_good(&self.disk, slot) {
                Ok(()) => {
                    let line = format!(
                        "good: slot {slot} (Ibex {}) marked good after {took:.1} s",
                        self.trial.version
                    );
                    crate::log!("upgrade: {line}");
                    settle(&line);
                }
                // The firmware still boots the old slot: say so and let
                // the person decide; rebooting would only repeat this.
                Err(e) => crate::log!("upgrade: cannot mark slot {slot} good: {e}"),
            }
            return Step::Done;
        }
        let now = Instant::now();
        if now >= self.deadline {
            let names: Vec<&str> = self
                .critical
                .iter()
                .filter(|i| !up(i))
                .filter_map(|&i| supervisor.services.get(i))
                .map(|s| s.service.name.as_str())
                .collect();
            let line = format!(
                "failed: slot {} (Ibex {}): {} not up within {} s; rebooting into the previous slot",
                self.trial.slot,
                self.trial.version,
                names.join(", "),
                (self.deadline - self.started).as_secs()
            );
            crate::log!("upgrade: {line}");
            settle(&line);
            return Step::Reboot;
        }
        Step::Wait(self.deadline - now)
    }
}

/// Records the outcome and forgets the trial.
fn settle(line: &str) {
    if let Err(e) = ibex_slots::record_result(line) {
        crate::log!("upgrade: cannot record the outcome: {e}");
    }
    if let Err(e) = Trial::clear() {
        crate::log!("upgrade: cannot clear the trial: {e}");
    }
}
