use super::*;
use std::os::fd::AsFd;

const VALUE: &str = "s3cr3t-value-xyz";

/// A file to collect one output in, alive for the rest of the test process.
fn sink(dir: &tempfile::TempDir, name: &str) -> (std::path::PathBuf, BorrowedFd<'static>) {
    let path = dir.path().join(name);
    let file: &'static std::fs::File = Box::leak(Box::new(std::fs::File::create(&path).unwrap()));
    (path, file.as_fd())
}

fn sh(script: &str) -> Command {
    let mut cmd = Command::new("/bin/sh");
    cmd.args(["-c", script])
        .env_clear()
        .env("PATH", "/bin:/usr/bin");
    cmd
}

fn redactor() -> Redactor {
    Redactor::new(&[("TOKEN", VALUE.as_bytes())])
}

#[test]
fn the_mode_follows_which_outputs_are_terminals() {
    let never = || -> bool { panic!("same_file is only asked without a terminal") };
    assert_eq!(
        Mode::choose(true, true, true, never),
        Mode::Pty {
            stdin: true,
            stdout: true,
            stderr: true
        }
    );
    assert_eq!(
        Mode::choose(false, false, true, never),
        Mode::Pty {
            stdin: false,
            stdout: false,
            stderr: true
        }
    );
    assert!(Mode::choose(false, true, false, never).is_pty());
    assert_eq!(Mode::choose(true, false, false, || true), Mode::SharedPipe);
    assert_eq!(Mode::choose(false, false, false, || false), Mode::Pipes);
}

#[test]
fn a_restarted_command_writes_through_the_same_pumps_and_is_still_masked() {
    let dir = tempfile::tempdir().unwrap();
    let (out_path, out) = sink(&dir, "out");
    let (err_path, err) = sink(&dir, "err");
    let redactor = redactor();
    let outputs = Outputs {
        stdout: out,
        stderr: err,
    };
    let mut sup = Supervisor::new(Mode::Pipes, outputs, &redactor, "sh").unwrap();
    assert!(matches!(sup.child(), ChildState::Pending));
    sup.start(sh(&format!(
        "echo first {VALUE}; echo e1 >&2; exec sleep 30"
    )))
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let previous = sup
        .restart(
            sh(&format!("echo second {VALUE}; echo e2 >&2; exit 3")),
            Duration::from_secs(5),
        )
        .unwrap();
    assert_eq!(previous, Some(143), "the first got SIGTERM");
    assert_eq!(sup.run(), 3);
    let out = std::fs::read_to_string(out_path).unwrap();
    assert_eq!(out, "first <redacted:TOKEN>\nsecond <redacted:TOKEN>\n");
    assert_eq!(std::fs::read_to_string(err_path).unwrap(), "e1\ne2\n");
}

#[test]
fn a_command_ignoring_sigterm_is_killed_after_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let (out_path, out) = sink(&dir, "out");
    let redactor = redactor();
    let outputs = Outputs {
        stdout: out,
        stderr: out,
    };
    let mut sup = Supervisor::new(Mode::SharedPipe, outputs, &redactor, "sh").unwrap();
    sup.start(sh("trap '' TERM; echo ready; while :; do sleep 0.05; done"))
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    assert_eq!(sup.stop(Duration::from_millis(300)), Some(137));
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(sup.child().is_finished());
    assert_eq!(
        sup.stop(Duration::from_millis(1)),
        None,
        "nothing left to stop"
    );
    // The next one starts only now: the two never overlapped.
    sup.start(sh("echo next")).unwrap();
    assert_eq!(sup.run(), 0);
    assert_eq!(std::fs::read_to_string(out_path).unwrap(), "ready\nnext\n");
}

#[test]
fn a_second_command_is_refused_while_one_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (_, out) = sink(&dir, "out");
    let redactor = redactor();
    let outputs = Outputs {
        stdout: out,
        stderr: out,
    };
    let mut sup = Supervisor::new(Mode::Pipes, outputs, &redactor, "sh").unwrap();
    sup.start(sh("exec sleep 30")).unwrap();
    assert!(matches!(sup.start(sh("true")), Err(Launch::Failed(_))));
    assert_eq!(sup.stop(Duration::from_secs(5)), Some(143));
}

#[test]
fn a_restart_on_a_pty_reuses_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (out_path, out) = sink(&dir, "out");
    let redactor = redactor();
    let outputs = Outputs {
        stdout: out,
        stderr: out,
    };
    let mode = Mode::Pty {
        stdin: false,
        stdout: true,
        stderr: true,
    };
    let mut sup = Supervisor::new(mode, outputs, &redactor, "sh").unwrap();
    if !sup.mode().is_pty() {
        return; // no pty to be had here (a container without /dev/pts)
    }
    sup.start(sh(&format!(
        "test -t 1 && echo first {VALUE}; exec sleep 30"
    )))
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let previous = sup
        .restart(
            sh(&format!("test -t 1 && echo second {VALUE}")),
            Duration::from_secs(5),
        )
        .unwrap();
    assert_eq!(previous, Some(143));
    assert_eq!(sup.run(), 0);
    let out = std::fs::read_to_string(out_path).unwrap();
    assert_eq!(out, "first <redacted:TOKEN>\r\nsecond <redacted:TOKEN>\r\n");
}

#[test]
fn a_watcher_gets_control_back_in_time_and_can_signal_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let (out_path, out) = sink(&dir, "out");
    let redactor = redactor();
    let outputs = Outputs {
        stdout: out,
        stderr: out,
    };
    let mut sup = Supervisor::new(Mode::SharedPipe, outputs, &redactor, "sh").unwrap();
    sup.start(sh(&format!(
        "trap 'echo got-hup {VALUE}; exit 7' HUP; echo up; while :; do sleep 0.05; done"
    )))
    .unwrap();
    let started = Instant::now();
    assert_eq!(sup.run_for(Duration::from_millis(300)), Wake::Elapsed);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(2),
        "{took:?}"
    );
    assert!(sup.signal(Signal::HUP));
    assert_eq!(sup.run_for(Duration::from_secs(10)), Wake::Exited(7));
    assert!(!sup.signal(Signal::HUP), "nothing left to signal");
    assert_eq!(
        std::fs::read_to_string(out_path).unwrap(),
        "up\ngot-hup <redacted:TOKEN>\n"
    );
}
