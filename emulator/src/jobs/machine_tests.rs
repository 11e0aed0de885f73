//! Unit tests of the execution state machine.

use super::*;

fn update(status: ExecStatus) -> Update {
    Update {
        status: Some(status),
        ..Default::default()
    }
}

#[test]
fn a_device_takes_an_execution_from_queued_to_succeeded() {
    let mut e = queued("j", "t", 1, 1, 1_000);
    assert_eq!((e.status, e.version_number), (ExecStatus::Queued, 1));
    let mut start = update(ExecStatus::InProgress);
    start.status_details = Some([("progress".to_string(), "10%".to_string())].into());
    start.step_timeout_minutes = Some(5);
    device_update(&mut e, &start, Some(60), 2_000).unwrap();
    assert_eq!(e.status, ExecStatus::InProgress);
    assert_eq!((e.version_number, e.started_at_ms), (2, Some(2_000)));
    assert_eq!(e.step_deadline_ms, Some(2_000 + 5 * MINUTE_MS));
    assert_eq!(e.in_progress_deadline_ms, Some(2_000 + 60 * MINUTE_MS));
    assert_eq!(seconds_before_timed_out(&e, 2_000), Some(300));
    device_update(&mut e, &update(ExecStatus::Succeeded), None, 3_000).unwrap();
    assert_eq!((e.status, e.version_number), (ExecStatus::Succeeded, 3));
    assert_eq!(e.deadline_ms(), None);
    assert_eq!(
        e.status_details["progress"], "10%",
        "details kept when absent"
    );
}

#[test]
fn final_statuses_refuse_every_move_with_the_state() {
    for last in [
        ExecStatus::Succeeded,
        ExecStatus::Failed,
        ExecStatus::Rejected,
    ] {
        let mut e = queued("j", "t", 1, 1, 0);
        device_update(&mut e, &update(last), None, 1).unwrap();
        for next in [ExecStatus::InProgress, ExecStatus::Succeeded] {
            let err = device_update(&mut e, &update(next), None, 2).unwrap_err();
            assert_eq!(err.code, DeviceCode::InvalidStateTransition);
            assert_eq!(err.execution_state.as_ref().map(|s| s.status), Some(last));
        }
    }
}

#[test]
fn devices_may_not_set_service_statuses() {
    for status in [
        ExecStatus::Queued,
        ExecStatus::TimedOut,
        ExecStatus::Removed,
        ExecStatus::Canceled,
    ] {
        let mut e = queued("j", "t", 1, 1, 0);
        let err = device_update(&mut e, &update(status), None, 1).unwrap_err();
        assert_eq!(err.code, DeviceCode::InvalidRequest);
        assert_eq!(e.version_number, 1, "unchanged");
    }
}

#[test]
fn expected_version_must_match() {
    let mut e = queued("j", "t", 1, 1, 0);
    let mut u = update(ExecStatus::InProgress);
    u.expected_version = Some(7);
    let err = device_update(&mut e, &u, None, 1).unwrap_err();
    assert_eq!(err.code, DeviceCode::VersionMismatch);
    u.expected_version = Some(1);
    device_update(&mut e, &u, None, 1).unwrap();
}

#[test]
fn step_timer_is_reset_and_cleared_by_updates() {
    let mut e = queued("j", "t", 1, 1, 0);
    start_next(&mut e, None, Some(1), None, 0);
    assert_eq!(e.step_deadline_ms, Some(MINUTE_MS));
    let mut u = update(ExecStatus::InProgress);
    u.step_timeout_minutes = Some(2);
    device_update(&mut e, &u, None, 10).unwrap();
    assert_eq!(e.step_deadline_ms, Some(10 + 2 * MINUTE_MS));
    u.step_timeout_minutes = Some(-1);
    device_update(&mut e, &u, None, 20).unwrap();
    assert_eq!(e.deadline_ms(), None);
}

#[test]
fn the_service_cancels_removes_and_times_out() {
    let mut e = queued("j", "t", 1, 1, 0);
    assert_eq!(service_move(&mut e, ServiceMove::TimeOut, 1), Ok(false));
    start_next(&mut e, None, Some(1), None, 0);
    assert!(service_move(&mut e, ServiceMove::Cancel { force: false }, 1).is_err());
    assert_eq!(service_move(&mut e, ServiceMove::TimeOut, 2), Ok(true));
    assert_eq!((e.status, e.version_number), (ExecStatus::TimedOut, 3));
    assert_eq!(service_move(&mut e, ServiceMove::Remove, 3), Ok(false));
    let mut f = queued("j", "t", 1, 1, 0);
    start_next(&mut f, None, None, None, 0);
    assert_eq!(
        service_move(&mut f, ServiceMove::Cancel { force: true }, 1),
        Ok(true)
    );
    assert!(f.force_canceled);
    let mut g = queued("j", "t", 1, 1, 0);
    assert_eq!(
        service_move(&mut g, ServiceMove::Cancel { force: true }, 1),
        Ok(true)
    );
    assert!(
        !g.force_canceled,
        "a QUEUED execution is canceled without force"
    );
}
