//! `twin models up` starts real servers, prints their URLs, and Ctrl-C (SIGINT) stops every one of them.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn port_of(line: &str) -> u16 {
    let after = line.split("http://127.0.0.1:").nth(1).expect("url in line");
    after
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("port")
}

fn answers(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(300)).is_ok()
}

#[test]
fn up_prints_urls_and_ctrl_c_leaves_nothing_running() {
    let logs = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_twin"))
        .args(["models", "up", "--log-dir"])
        .arg(logs.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut ports = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if line.contains("http://127.0.0.1:") {
            ports.push(port_of(&line));
        }
        if line.starts_with("Ctrl-C") {
            break;
        }
    }
    assert_eq!(ports.len(), 3, "haiku, gpu and stand-in URLs printed");
    assert!(ports.iter().all(|p| answers(*p)), "all three listen");
    let logs_written = std::fs::read_dir(logs.path()).expect("logs").count();
    assert_eq!(logs_written, 2, "one log per model server");

    // SAFETY: SIGINT to our own child, as Ctrl-C in a terminal would send.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "did not stop on Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");
    assert!(
        ports.iter().all(|p| !answers(*p)),
        "nothing listens after Ctrl-C"
    );
}
