//! The ready information names files clients open from anywhere, so its paths must be
//! absolute even when `--data-dir` is relative.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn a_relative_data_dir_gives_absolute_paths() {
    let cwd = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_iot-emulator"))
        .args(["--api-addr", "127.0.0.1:0", "--mqtt-addr", "127.0.0.1:0"])
        .args(["--credentials-addr", "127.0.0.1:0", "--data-dir", "data"])
        .args(["--ws-addr", "127.0.0.1:0", "--jobs-addr", "127.0.0.1:0"])
        .current_dir(cwd.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start iot-emulator");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let ready: serde_json::Value = serde_json::from_str(&line).expect("ready line");
    for key in ["root_ca_path", "data_dir"] {
        let path = ready[key].as_str().unwrap_or_default();
        assert!(std::path::Path::new(path).is_absolute(), "{key} = {path:?}");
    }
}
