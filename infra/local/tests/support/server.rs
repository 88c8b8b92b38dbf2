//! `klaxon serve` as a child process on a free loopback port, for the tests
//! that drive it over HTTP; killed when dropped.

use std::ffi::OsStr;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `klaxon serve --listen <free port> --data-dir <data_dir> <extra>`,
/// output discarded unless `configure` says otherwise (it may also set the
/// environment), and waits until `/healthz` answers.
pub async fn spawn(
    data_dir: &Path,
    extra: &[&OsStr],
    configure: impl FnOnce(&mut Command),
) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let mut command = Command::new(env!("CARGO_BIN_EXE_klaxon"));
    command
        .env_remove("KLAXON_API_URL")
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data_dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    configure(&mut command);
    let child = command.spawn().expect("spawn klaxon serve");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("{}/healthz", server.base)).await
            && r.status() == 200
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("klaxon serve did not answer /healthz within 20 s");
}
