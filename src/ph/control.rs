//! The daemon's control socket: requests and responses as JSON lines over a Unix stream socket, the non-blocking server side and the client.
//!
//! A client connects, writes one request (a JSON object and `\n`), and reads
//! one response line: `{"ok":true,"data":...}` or `{"ok":false,"error":"..."}`.
//! One request per connection; anything after the first line is ignored.
//! The socket is mode 0600 and owned by the daemon's user (root).
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How long the server waits for a client's request line, and at most
/// spends writing its response.
pub const SERVER_IO_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a client waits for the daemon's answer (a save may take a while).
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest request line the server reads.
const MAX_REQUEST: usize = 1 << 20;
/// Longest response line the client reads.
const MAX_RESPONSE: usize = 256 << 20;
/// Connections answered per `serve_pending` call, so a flood cannot hold the
/// daemon's loop; the rest stay queued and keep the socket readable.
const MAX_PER_CALL: usize = 64;

/// A profile named by executable path or `DEV:INO` key, or the profile of a process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Profile(String),
    Pid(u32),
}

/// A command for the daemon: `{"cmd":"normalize","target":{"pid":42}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Request {
    Ps,
    Profiles,
    Show {
        profile: String,
    },
    Normalize {
        target: Target,
    },
    Sensitize {
        target: Target,
    },
    Tolerize {
        target: Target,
    },
    SettingsGet,
    SettingsSet {
        name: String,
        value: String,
    },
    Save,
    /// `file` is opened by the daemon: the client sends an absolute path.
    Export {
        profile: String,
        file: PathBuf,
    },
    /// `file` is opened by the daemon: the client sends an absolute path.
    Import {
        file: PathBuf,
        force: bool,
    },
}

/// The daemon's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "WireResponse", from = "WireResponse")]
pub enum Response {
    Ok(Value),
    Err(String),
}

impl Response {
    /// A success carrying `data` as JSON.
    pub fn ok(data: impl Serialize) -> Response {
        match serde_json::to_value(data) {
            Ok(v) => Response::Ok(v),
            Err(e) => Response::Err(format!("cannot encode the answer: {e}")),
        }
    }

    /// A failure with a message for the user.
    pub fn error(message: impl fmt::Display) -> Response {
        Response::Err(message.to_string())
    }

    /// The data, or the daemon's error message.
    pub fn into_result(self) -> Result<Value, String> {
        match self {
            Response::Ok(v) => Ok(v),
            Response::Err(e) => Err(e),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct WireResponse {
    ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl From<Response> for WireResponse {
    fn from(r: Response) -> Self {
        match r {
            Response::Ok(v) => WireResponse {
                ok: true,
                data: Some(v),
                error: None,
            },
            Response::Err(e) => WireResponse {
                ok: false,
                data: None,
                error: Some(e),
            },
        }
    }
}

impl From<WireResponse> for Response {
    fn from(w: WireResponse) -> Self {
        if w.ok {
            Response::Ok(w.data.unwrap_or(Value::Null))
        } else {
            Response::Err(w.error.unwrap_or_else(|| "failed (no message)".into()))
        }
    }
}

/// The listening control socket. Removes its socket file on drop (if it is
/// still the one it created).
#[derive(Debug)]
pub struct Server {
    listener: UnixListener,
    path: PathBuf,
    /// `(dev, ino)` of the socket file created.
    id: (u64, u64),
}

impl Server {
    /// Listens on `path`: refuses when another daemon answers there or when
    /// the path is something other than a socket; replaces a stale socket.
    /// The socket is mode 0600 and non-blocking.
    pub fn bind(path: &Path) -> Result<Server> {
        match fs::symlink_metadata(path) {
            Ok(meta) => {
                if !meta.file_type().is_socket() {
                    bail!(
                        "{} exists and is not a socket; not replacing it",
                        path.display()
                    );
                }
                match UnixStream::connect(path) {
                    Ok(_) => bail!(
                        "another ai-forensics daemon is already listening on {}",
                        path.display()
                    ),
                    Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                        // Left by a daemon that died: nobody listens.
                        match fs::remove_file(path) {
                            Ok(()) => {}
                            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                            Err(e) => {
                                return Err(e).with_context(|| {
                                    format!("cannot remove stale socket {}", path.display())
                                })
                            }
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(e)
                            .with_context(|| format!("cannot check socket {}", path.display()))
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot stat {}", path.display())),
        }
        // The socket is created 0600 from the start; the umask is
        // process-wide, so a file another thread creates meanwhile is at
        // worst created with fewer permissions.
        // SAFETY: umask only changes the process's file-creation mask.
        let old = unsafe { libc::umask(0o177) };
        let bound = UnixListener::bind(path);
        // SAFETY: as above, restoring the previous mask.
        unsafe { libc::umask(old) };
        let listener = bound.with_context(|| format!("cannot listen on {}", path.display()))?;
        let meta = fs::symlink_metadata(path)
            .with_context(|| format!("cannot stat {}", path.display()))?;
        let server = Server {
            listener,
            path: path.to_owned(),
            id: (meta.dev(), meta.ino()),
        };
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot set the mode of {}", path.display()))?;
        server
            .listener
            .set_nonblocking(true)
            .with_context(|| format!("cannot make {} non-blocking", path.display()))?;
        Ok(server)
    }

    /// Accepts and answers the clients waiting now (at most 64 per call),
    /// each within about `SERVER_IO_TIMEOUT` plus the handler's time.
    /// Malformed requests get an error response and never reach `handler`;
    /// a client that disappears is forgotten. Returns how many requests
    /// were answered; fails only when accepting fails (e.g. out of descriptors).
    pub fn serve_pending(&self, handler: &mut dyn FnMut(Request) -> Response) -> io::Result<usize> {
        let mut answered = 0;
        for _ in 0..MAX_PER_CALL {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if serve_one(stream, handler) {
                        answered += 1;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e)
                    if e.kind() == io::ErrorKind::Interrupted
                        || e.kind() == io::ErrorKind::ConnectionAborted =>
                {
                    continue
                }
                Err(e) => return Err(e),
            }
        }
        Ok(answered)
    }
}

impl AsFd for Server {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only our own socket: a newer daemon may have replaced it.
        if let Ok(meta) = fs::symlink_metadata(&self.path) {
            if (meta.dev(), meta.ino()) == self.id {
                let _ = fs::remove_file(&self.path);
            }
        }
    }
}

/// Why a request line could not be read.
enum ReadFail {
    Timeout,
    TooLong,
    Io,
}

/// Reads up to the first `\n` (or EOF) within `timeout` in all. `Ok(None)`:
/// the peer closed without sending anything.
fn read_line(
    stream: &mut UnixStream,
    timeout: Duration,
    limit: usize,
) -> Result<Option<Vec<u8>>, ReadFail> {
    let deadline = Instant::now() + timeout;
    let mut line = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ReadFail::Timeout);
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|_| ReadFail::Io)?;
        let n = match stream.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e)
                if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut =>
            {
                return Err(ReadFail::Timeout)
            }
            Err(_) => return Err(ReadFail::Io),
        };
        if n == 0 {
            return Ok((!line.is_empty()).then_some(line));
        }
        if let Some(end) = chunk[..n].iter().position(|&b| b == b'\n') {
            line.extend_from_slice(&chunk[..end]);
            return if line.len() > limit {
                Err(ReadFail::TooLong)
            } else {
                Ok(Some(line))
            };
        }
        line.extend_from_slice(&chunk[..n]);
        if line.len() > limit {
            return Err(ReadFail::TooLong);
        }
    }
}

/// Writes all of `bytes` within `timeout` in all (a client reading slowly
/// cannot hold the daemon).
fn write_all_within(stream: &mut UnixStream, mut bytes: &[u8], timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while !bytes.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_write_timeout(Some(left)).is_err() {
            return false;
        }
        match stream.write(bytes) {
            Ok(0) => return false,
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}

/// Answers one connection; true when a response was sent.
fn serve_one(mut stream: UnixStream, handler: &mut dyn FnMut(Request) -> Response) -> bool {
    if stream.set_nonblocking(false).is_err() {
        return false;
    }
    let response = match read_line(&mut stream, SERVER_IO_TIMEOUT, MAX_REQUEST) {
        Ok(Some(line)) => match serde_json::from_slice::<Request>(&line) {
            Ok(request) => handler(request),
            Err(e) => Response::error(format!("bad request: {e}")),
        },
        Ok(None) | Err(ReadFail::Io) => return false,
        Err(ReadFail::Timeout) => Response::error(format!(
            "no complete request line within {} s",
            SERVER_IO_TIMEOUT.as_secs()
        )),
        Err(ReadFail::TooLong) => {
            Response::error(format!("request longer than {MAX_REQUEST} bytes"))
        }
    };
    let mut out = serde_json::to_vec(&response).unwrap_or_else(|e| {
        serde_json::to_vec(&Response::error(format!("cannot encode the answer: {e}")))
            .unwrap_or_else(|_| br#"{"ok":false,"error":"cannot encode the answer"}"#.to_vec())
    });
    out.push(b'\n');
    write_all_within(&mut stream, &out, SERVER_IO_TIMEOUT)
}

/// Why a request got no response.
#[derive(Debug)]
pub enum ClientError {
    /// Nothing listens on the socket (missing, or stale): no daemon runs,
    /// and the command may use the state directory instead.
    NotRunning {
        socket: PathBuf,
    },
    /// The socket (or its directory) is not accessible: only root may use it.
    NeedsRoot {
        socket: PathBuf,
    },
    /// The daemon did not answer within `CLIENT_TIMEOUT`.
    Timeout {
        socket: PathBuf,
    },
    Io {
        socket: PathBuf,
        source: io::Error,
    },
    /// The answer was not a response line.
    Protocol {
        socket: PathBuf,
        message: String,
    },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::NotRunning { socket } => {
                write!(
                    f,
                    "no ai-forensics daemon is listening on {}",
                    socket.display()
                )
            }
            ClientError::NeedsRoot { socket } => write!(
                f,
                "permission denied on {}: talking to the daemon needs root (try sudo)",
                socket.display()
            ),
            ClientError::Timeout { socket } => write!(
                f,
                "the daemon did not answer on {} within {} s",
                socket.display(),
                CLIENT_TIMEOUT.as_secs()
            ),
            ClientError::Io { socket, source } => {
                write!(f, "control socket {}: {source}", socket.display())
            }
            ClientError::Protocol { socket, message } => {
                write!(
                    f,
                    "control socket {}: bad answer: {message}",
                    socket.display()
                )
            }
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Classifies a failure to connect.
fn connect_error(socket: &Path, e: io::Error) -> ClientError {
    let socket = socket.to_owned();
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => {
            ClientError::NotRunning { socket }
        }
        io::ErrorKind::PermissionDenied => ClientError::NeedsRoot { socket },
        _ => ClientError::Io { socket, source: e },
    }
}

/// Sends one request to the daemon listening on `socket` and waits for its answer.
pub fn request(socket: &Path, req: &Request) -> Result<Response, ClientError> {
    let mut stream = UnixStream::connect(socket).map_err(|e| connect_error(socket, e))?;
    let io_err = |source| ClientError::Io {
        socket: socket.to_owned(),
        source,
    };
    let mut line = serde_json::to_vec(req).map_err(|e| ClientError::Protocol {
        socket: socket.to_owned(),
        message: format!("cannot encode the request: {e}"),
    })?;
    line.push(b'\n');
    stream
        .set_write_timeout(Some(CLIENT_TIMEOUT))
        .map_err(io_err)?;
    stream.write_all(&line).map_err(|e| match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ClientError::Timeout {
            socket: socket.to_owned(),
        },
        _ => io_err(e),
    })?;
    let answer = match read_line(&mut stream, CLIENT_TIMEOUT, MAX_RESPONSE) {
        Ok(Some(answer)) => answer,
        Ok(None) => {
            return Err(ClientError::Protocol {
                socket: socket.to_owned(),
                message: "the daemon closed the connection without answering".into(),
            })
        }
        Err(ReadFail::Timeout) => {
            return Err(ClientError::Timeout {
                socket: socket.to_owned(),
            })
        }
        Err(ReadFail::TooLong) => {
            return Err(ClientError::Protocol {
                socket: socket.to_owned(),
                message: format!("answer longer than {MAX_RESPONSE} bytes"),
            })
        }
        Err(ReadFail::Io) => {
            return Err(ClientError::Protocol {
                socket: socket.to_owned(),
                message: "the connection failed while reading the answer".into(),
            })
        }
    };
    serde_json::from_slice(&answer).map_err(|e| ClientError::Protocol {
        socket: socket.to_owned(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    use crate::ph::testdir::TempDir;

    /// Answers with the request itself as data, except `save`, which fails.
    fn echo(req: Request) -> Response {
        match req {
            Request::Save => Response::error("disk full"),
            other => Response::ok(&other),
        }
    }

    /// Serves `server` until the client thread ends; returns its result.
    fn serve_while<T: Send + 'static>(
        server: &Server,
        client: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        let h = thread::spawn(client);
        let mut handler = echo;
        while !h.is_finished() {
            server.serve_pending(&mut handler).unwrap();
            thread::sleep(Duration::from_millis(2));
        }
        h.join().unwrap()
    }

    /// Sends raw bytes (then closes the write side unless `keep_open`) and reads the answer.
    fn raw(path: &Path, bytes: &'static [u8], keep_open: bool) -> Option<Response> {
        let mut s = UnixStream::connect(path).unwrap();
        s.write_all(bytes).unwrap();
        if !keep_open {
            s.shutdown(std::net::Shutdown::Write).unwrap();
        }
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        let line = answer.strip_suffix('\n')?;
        assert!(!line.contains('\n'), "one line: {answer:?}");
        Some(serde_json::from_str(line).unwrap())
    }

    #[test]
    fn wire_format() {
        let r = Request::Normalize {
            target: Target::Pid(42),
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"cmd":"normalize","target":{"pid":42}}"#
        );
        assert_eq!(
            serde_json::to_string(&Request::Ps).unwrap(),
            r#"{"cmd":"ps"}"#
        );
        let r: Request =
            serde_json::from_str(r#"{"cmd":"settings_set","name":"anomaly_limit","value":"5"}"#)
                .unwrap();
        assert_eq!(
            r,
            Request::SettingsSet {
                name: "anomaly_limit".into(),
                value: "5".into()
            }
        );
        let r: Request =
            serde_json::from_str(r#"{"cmd":"tolerize","target":{"profile":"/bin/ls"}}"#).unwrap();
        assert_eq!(
            r,
            Request::Tolerize {
                target: Target::Profile("/bin/ls".into())
            }
        );
        assert_eq!(
            serde_json::to_string(&Response::ok([1, 2])).unwrap(),
            r#"{"ok":true,"data":[1,2]}"#
        );
        assert_eq!(
            serde_json::to_string(&Response::ok(())).unwrap(),
            r#"{"ok":true,"data":null}"#
        );
        assert_eq!(
            serde_json::to_string(&Response::error("no")).unwrap(),
            r#"{"ok":false,"error":"no"}"#
        );
        let back: Response = serde_json::from_str(r#"{"ok":true}"#).unwrap();
        assert_eq!(back, Response::Ok(Value::Null));
    }

    #[test]
    fn requests_are_answered() {
        let t = TempDir::new("serve");
        let path = t.0.join("control.sock");
        let server = Server::bind(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fs::metadata(&path).unwrap().uid(), unsafe {
            libc::geteuid()
        });

        let p = path.clone();
        let answers = serve_while(&server, move || {
            let reqs = [
                Request::Ps,
                Request::Sensitize {
                    target: Target::Profile("1:2".into()),
                },
                Request::Import {
                    file: "/tmp/x".into(),
                    force: true,
                },
                Request::Save,
            ];
            reqs.iter()
                .map(|r| request(&p, r).unwrap())
                .collect::<Vec<_>>()
        });
        assert_eq!(answers[0], Response::Ok(serde_json::json!({"cmd": "ps"})));
        assert_eq!(
            answers[1].clone().into_result().unwrap()["target"]["profile"],
            "1:2"
        );
        assert_eq!(answers[2].clone().into_result().unwrap()["force"], true);
        assert_eq!(answers[3], Response::Err("disk full".into()));

        // Nothing pending: returns at once.
        let start = Instant::now();
        assert_eq!(server.serve_pending(&mut echo).unwrap(), 0);
        assert!(start.elapsed() < Duration::from_millis(100));

        // Dropping the server removes the socket; then no daemon runs.
        drop(server);
        assert!(!path.exists());
        match request(&path, &Request::Ps) {
            Err(ClientError::NotRunning { .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn garbage_gets_an_error_and_the_server_goes_on() {
        let t = TempDir::new("garbage");
        let path = t.0.join("control.sock");
        let server = Server::bind(&path).unwrap();
        let p = path.clone();
        let answers = serve_while(&server, move || {
            let mut out = vec![
                raw(&p, b"not json\n", false),
                raw(&p, b"{\"cmd\":\"reboot\"}\n", false),
                raw(&p, b"\xff\xfe\x00\n", false),
                raw(&p, b"{\"cmd\":\"ps\"}", false), // no newline, then EOF
                raw(&p, b"{\"cmd\":", true),         // then silence
                raw(&p, b"", false),                 // connects, says nothing
            ];
            out.push(Some(request(&p, &Request::Profiles).unwrap()));
            out
        });
        let errors: Vec<String> = answers[..3]
            .iter()
            .map(|a| a.clone().unwrap().into_result().unwrap_err())
            .collect();
        assert!(
            errors.iter().all(|e| e.starts_with("bad request")),
            "{errors:?}"
        );
        assert!(errors[1].contains("reboot"), "{errors:?}");
        assert_eq!(answers[3], Some(Response::ok(&Request::Ps)));
        let timeout = answers[4].clone().unwrap().into_result().unwrap_err();
        assert!(timeout.contains("within 1 s"), "{timeout}");
        assert_eq!(answers[5], None);
        assert_eq!(answers[6], Some(Response::ok(&Request::Profiles)));
    }

    #[test]
    fn stale_socket_is_replaced_live_one_refused() {
        let t = TempDir::new("stale");
        let path = t.0.join("control.sock");
        drop(UnixListener::bind(&path).unwrap());
        assert!(path.exists(), "a dead listener leaves its socket file");
        match request(&path, &Request::Ps) {
            Err(ClientError::NotRunning { .. }) => {}
            other => panic!("{other:?}"),
        }
        let first = Server::bind(&path).unwrap();
        let err = Server::bind(&path).unwrap_err().to_string();
        assert!(err.contains("already listening"), "{err}");
        // The refused bind left the first server working.
        let p = path.clone();
        let answer = serve_while(&first, move || request(&p, &Request::SettingsGet).unwrap());
        assert_eq!(answer, Response::ok(&Request::SettingsGet));
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );

        // A replaced socket file is not removed by the old server's drop.
        fs::remove_file(&path).unwrap();
        let second = Server::bind(&path).unwrap();
        drop(first);
        assert!(path.exists());
        drop(second);
        assert!(!path.exists());
    }

    #[test]
    fn other_files_are_not_replaced() {
        let t = TempDir::new("file");
        let path = t.0.join("control.sock");
        fs::write(&path, b"keep me").unwrap();
        let err = Server::bind(&path).unwrap_err().to_string();
        assert!(err.contains("not a socket"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"keep me");
    }

    #[test]
    fn connect_errors_are_classified() {
        let p = Path::new("/x.sock");
        let kind = |errno| connect_error(p, io::Error::from_raw_os_error(errno));
        assert!(matches!(kind(libc::ENOENT), ClientError::NotRunning { .. }));
        assert!(matches!(
            kind(libc::ECONNREFUSED),
            ClientError::NotRunning { .. }
        ));
        let denied = kind(libc::EACCES);
        assert!(matches!(denied, ClientError::NeedsRoot { .. }));
        assert!(denied.to_string().contains("needs root"));
        assert!(matches!(kind(libc::ENOTDIR), ClientError::Io { .. }));
    }
}
