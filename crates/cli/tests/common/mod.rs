//! A running `allocscope serve` for the CLI's integration tests (serve_cli.rs, tls_cli.rs,
//! serve_load.rs): spawned from a prepared command, known by the address on its start line,
//! its output kept for assertions, and killed when dropped.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};

pub struct Serve {
    pub child: Child,
    /// `host:port` from the start line.
    pub addr: String,
    pub start_line: String,
    log: Arc<Mutex<String>>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    /// Spawns `cmd` (an `allocscope serve …` command) and waits for its start line, however
    /// long that takes; if it exits first, panics with what it printed.
    pub fn spawn(mut cmd: Command) -> Serve {
        let mut child =
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start allocscope serve");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let stdout: Box<dyn Read + Send> = Box::new(child.stdout.take().expect("stdout"));
        let stderr: Box<dyn Read + Send> = Box::new(child.stderr.take().expect("stderr"));
        for (pipe, announces) in [(stdout, Some(tx)), (stderr, None)] {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    // Logged before it is announced, so the log holds the start line too.
                    {
                        let mut l = log.lock().unwrap_or_else(|p| p.into_inner());
                        l.push_str(&line);
                        l.push('\n');
                    }
                    if let Some(tx) = &announces {
                        if line.starts_with("allocscope serve: http") {
                            let _ = tx.send(line);
                        }
                    }
                }
            });
        }
        let mut serve = Serve { child, addr: String::new(), start_line: String::new(), log };
        let Ok(line) = rx.recv() else {
            let _ = serve.child.wait();
            panic!("allocscope serve printed no start line: {}", serve.log());
        };
        let rest = line.split_once("://").map(|(_, r)| r).unwrap_or_else(|| panic!("start line {line:?}"));
        serve.addr = rest.split('/').next().expect("address").to_owned();
        serve.start_line = line;
        serve
    }

    /// Everything serve has printed so far, standard output and error.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
