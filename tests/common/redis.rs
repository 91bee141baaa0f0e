//! A private `redis-server` per test, on a free loopback port, killed on drop. Tests never
//! touch a Redis they did not start.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use parlor::Config;

/// A running `redis-server` child process.
pub struct RedisServer {
    pub port: u16,
    pub dir: std::path::PathBuf,
    child: std::sync::Mutex<Option<Child>>,
    extra: Vec<String>,
}

impl RedisServer {
    /// Start one with no persistence.
    pub fn start() -> RedisServer {
        Self::start_with(&["--save", "", "--appendonly", "no"])
    }

    /// Start one that writes every command to its AOF before answering (and takes no
    /// snapshots), so a restart loses nothing it acknowledged.
    pub fn start_with_aof() -> RedisServer {
        Self::start_with(&[
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ])
    }

    /// Start one with no persistence on `port` (picked by the test, e.g. for a node
    /// started before its Redis).
    pub fn start_on(port: u16) -> RedisServer {
        let server = RedisServer {
            port,
            dir: std::env::temp_dir()
                .join(format!("parlor-test-redis-{}-{port}", std::process::id())),
            child: std::sync::Mutex::new(None),
            extra: ["--save", "", "--appendonly", "no"]
                .map(String::from)
                .to_vec(),
        };
        std::fs::create_dir_all(&server.dir).expect("temp dir");
        server.spawn();
        server
    }

    /// Start one with extra arguments (e.g. AOF on). A free port can be taken by another
    /// process between being picked and being bound (a node's listener, an outgoing
    /// connection); a server that exits at once is started again on another port.
    pub fn start_with(extra: &[&str]) -> RedisServer {
        let mut attempt = 1;
        loop {
            let dir = std::env::temp_dir().join(format!(
                "parlor-test-redis-{}-{}",
                std::process::id(),
                super::free_port()
            ));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let server = RedisServer {
                port: super::free_port(),
                dir,
                child: std::sync::Mutex::new(None),
                extra: extra.iter().map(|s| s.to_string()).collect(),
            };
            match server.try_spawn() {
                Ok(()) => return server,
                Err(e) if attempt < 5 => eprintln!("{e}; trying another port"),
                Err(e) => panic!("{e}"),
            }
            attempt += 1;
        }
    }

    fn spawn(&self) {
        if let Err(e) = self.try_spawn() {
            panic!("{e}");
        }
    }

    /// Start the process and wait until it answers; an error if it exits first or does
    /// not answer within 10 s.
    fn try_spawn(&self) -> Result<(), String> {
        let mut cmd = Command::new("redis-server");
        cmd.arg("--port")
            .arg(self.port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--dir")
            .arg(&self.dir)
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start redis-server ({e}). Install it (apt-get install -y redis-server) \
                 or run the suite with scripts/test, which does"
            )
        });
        *self.child.lock().expect("lock") = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.try_cmd(&["PING"]).is_some_and(|r| r == "PONG") {
                return Ok(());
            }
            let mut child = self.child.lock().expect("lock");
            if let Some(status) = child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                child.take();
                return Err(format!(
                    "redis-server on port {} exited at start ({status}); the port may be taken",
                    self.port
                ));
            }
            drop(child);
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "redis-server on port {} did not become ready",
            self.port
        ))
    }

    /// `redis://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// `cfg` pointed at this Redis with a prefix unique to the test.
    pub fn configure(&self, mut cfg: Config) -> Config {
        cfg.redis_url = Some(self.url());
        cfg.redis_timeout_ms = 1_000;
        cfg
    }

    /// Kill the process (SIGKILL) and wait for it.
    pub fn kill(&self) {
        if let Some(mut child) = self.child.lock().expect("lock").take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start again on the same port and directory (after [`kill`](Self::kill)).
    pub fn restart(&self) {
        self.kill();
        self.spawn();
    }

    /// Run one command; the reply flattened to a string (arrays joined by spaces).
    pub fn cmd(&self, args: &[&str]) -> String {
        self.try_cmd(args)
            .unwrap_or_else(|| panic!("redis command {args:?} failed"))
    }

    /// How many times Redis has run `command` (lowercase; calls made inside scripts
    /// count too), from `INFO commandstats`.
    pub fn command_calls(&self, command: &str) -> u64 {
        let prefix = format!("cmdstat_{command}:calls=");
        self.cmd(&["INFO", "commandstats"])
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .and_then(|rest| rest.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    fn try_cmd(&self, args: &[&str]) -> Option<String> {
        resp_cmd(self.port, args)
    }
}

/// Send one command to `127.0.0.1:port`; the reply flattened to a string (arrays joined
/// by spaces), or None if nothing answered.
pub fn resp_cmd(port: u16, args: &[&str]) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut req = format!("*{}\r\n", args.len());
    for a in args {
        req.push_str(&format!("${}\r\n{}\r\n", a.len(), a));
    }
    stream.write_all(req.as_bytes()).ok()?;
    read_reply(&mut BufReader::new(stream))
}

fn read_reply(r: &mut BufReader<TcpStream>) -> Option<String> {
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let line = line.trim_end();
    if line.is_empty() {
        return None;
    }
    let (kind, rest) = line.split_at(1);
    match kind {
        "+" | ":" => Some(rest.to_string()),
        "-" => Some(format!("ERR {rest}")),
        "$" => {
            let n: i64 = rest.parse().ok()?;
            if n < 0 {
                return Some("(nil)".into());
            }
            let mut buf = vec![0u8; n as usize + 2];
            r.read_exact(&mut buf).ok()?;
            buf.truncate(n as usize);
            String::from_utf8(buf).ok()
        }
        "*" => {
            let n: i64 = rest.parse().ok()?;
            let mut parts = Vec::new();
            for _ in 0..n.max(0) {
                parts.push(read_reply(r)?);
            }
            Some(parts.join(" "))
        }
        _ => None,
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
