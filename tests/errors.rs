//! Errors the user can act on: one `ai-forensics: ` line on stderr, nothing
//! on stdout, and a distinct exit code.
mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::*;

#[test]
fn unwritable_output_file_gives_73() {
    let run = trace_cmd(&["-o", "/proc/nonexistent/x"], &["/bin/true"]);
    run.assert_one_line_error(73, "/proc/nonexistent/x");
}

#[test]
fn unprivileged_user_gives_77_with_the_remedy() {
    // A copy of the binary anyone can run, wherever the work tree is.
    let dir = TempDir::new("unpriv");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.join("ai-forensics");
    std::fs::copy(BIN, &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();

    let mut cmd = if have_setpriv() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        c
    } else {
        let mut c = Command::new("runuser");
        c.args(["-u", "nobody", "--"]);
        c
    };
    cmd.arg(&bin)
        .args(["trace", "--", "/bin/true"])
        .current_dir(dir.path());
    let run = Tracer::spawn_command(cmd, vec!["(as nobody) trace -- /bin/true".into()]).finish();
    run.assert_one_line_error(77, "needs root");
    assert!(
        run.stderr.contains("CAP_BPF") && run.stderr.contains("sudo"),
        "the remedy names the capabilities and sudo: {}",
        run.stderr
    );
}

fn have_setpriv() -> bool {
    Command::new("setpriv")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn bad_buffer_sizes_give_64() {
    for size in ["1000", "4097", "2G", "0"] {
        let run = trace_cmd(&["--buffer-size", size], &["/bin/true"]);
        run.assert_one_line_error(64, "--buffer-size");
    }
}

#[test]
fn good_buffer_size_suffixes_are_accepted() {
    for size in ["4K", "64k", "1M"] {
        let run = trace_cmd(&["--buffer-size", size], &["/bin/true"]);
        run.assert_code(0);
        let ev = run.events();
        assert_eq!(ev.execs().len(), 1);
    }
}

#[test]
fn no_target_gives_64() {
    let run = trace(&["trace"]);
    run.assert_one_line_error(64, "nothing to trace");
}

#[test]
fn two_targets_give_64() {
    let run = trace(&["trace", "--all", "--", "/bin/true"]);
    run.assert_one_line_error(64, "only one");
}

#[test]
fn bad_syscall_sets_give_64() {
    for set in ["", "!all", "%bogus", "99999", "getppid,nosuchcall"] {
        let run = trace_cmd(&["--syscalls", set], &["/bin/true"]);
        run.assert_one_line_error(64, "");
    }
}

/// An option the tracer does not know, before `--`, is a usage error, not a
/// command to run.
#[test]
fn unknown_option_is_a_usage_error() {
    let run = trace_cmd(&["--bogus-option"], &["/bin/true"]);
    run.assert_one_line_error(64, "--bogus-option");
}

/// Values clap rejects are usage errors too: exit 64, one line.
#[test]
fn invalid_option_values_are_usage_errors() {
    for args in [
        &["trace", "--buffer-size", "12x", "--", "/bin/true"][..],
        &["trace", "--format", "xml", "--", "/bin/true"],
        &["trace", "--pid", "1", "--all"],
    ] {
        let run = trace(args);
        run.assert_one_line_error(64, "");
    }
}

#[test]
fn closed_output_stops_the_trace_like_sigpipe() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    // The reader takes one line and goes away, like `| head -1`.
    let fx = Fixture::build("storm");
    let mut child = Command::new(BIN)
        .args(["trace", "--", fx.path(), "0"]) // storm forever
        .env_remove("LD_LIBRARY_PATH")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let status = child.wait().unwrap();
    // The storm is left running (as a command is after Ctrl-C) and holds the
    // stderr pipe open: stop it before reading.
    let _ = Command::new("pkill").args(["-f", fx.path()]).status();
    assert_eq!(status.code(), Some(128 + libc::SIGPIPE), "{status:?}");
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!err.contains("writing events failed"), "{err}");
}
