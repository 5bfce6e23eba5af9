//! Command-line interface: the clap types every subcommand is parsed into.
use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "ai-forensics",
    version,
    about = "Trace the syscalls of a command, processes or the whole system, as JSON lines",
    after_help = "Examples:\n  \
        sudo ai-forensics trace -- python3 train.py | jq .\n  \
        sudo ai-forensics trace --pid 1234 --follow --syscalls %file,%network\n  \
        sudo ai-forensics trace --all --format text -o /tmp/all.txt"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Trace a command and its descendants, running processes, or the whole system.
    Trace(TraceArgs),
    /// Learn each executable's normal syscall pairs in the kernel (pH) and report anomalies.
    Daemon(DaemonArgs),
    /// Monitored tasks of the running daemon: profile, status, calls, LFC, anomalies.
    Ps(PhQuery),
    /// List profiles, or show one (`show EXE|KEY`).
    Profiles {
        #[command(flatten)]
        query: PhQuery,
        #[command(subcommand)]
        action: Option<ProfilesAction>,
    },
    /// Start using a profile's training data as normal now (by profile or by --pid).
    Normalize(PhTarget),
    /// Forget a profile's training data (by profile or by --pid).
    Sensitize(PhTarget),
    /// Send a profile back to training (by profile or by --pid).
    Tolerize(PhTarget),
    /// Read or change the pH settings.
    Settings {
        #[command(flatten)]
        query: PhQuery,
        #[command(subcommand)]
        action: SettingsAction,
    },
    /// Ask the running daemon to save every profile now.
    Save(PhQuery),
    /// Write a profile to a portable file (keyed by path and content hash).
    Export {
        #[command(flatten)]
        query: PhQuery,
        /// Executable path or profile key (DEV:INO).
        profile: String,
        /// File to write.
        file: PathBuf,
    },
    /// Add a profile exported on another machine.
    Import {
        #[command(flatten)]
        query: PhQuery,
        /// File written by `export`.
        file: PathBuf,
        /// Import even when the local executable's contents differ.
        #[arg(long)]
        force: bool,
    },
    /// The pH engine in user space, on recorded traces.
    Ph {
        #[command(subcommand)]
        action: PhAction,
    },
    /// Show which BPF features and hooks this kernel offers, and which are used.
    Probe {
        /// One JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run a command with do-nothing programs on the syscall tracepoints (benchmark floor).
    #[command(hide = true)]
    BenchFloor {
        /// Instead of nothing, do the least a tracer must do per call of the command's
        /// tasks: two clock reads and one small ring-buffer record (a lower bound for capture).
        #[arg(long)]
        record: bool,
        /// Command to run.
        #[arg(required = true, trailing_var_arg = true)]
        command: Vec<OsString>,
    },
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Trace these running processes (comma-separated pids; all their threads).
    #[arg(short, long, value_delimiter = ',', conflicts_with_all = ["comm", "all"])]
    pub pid: Vec<u32>,

    /// Trace processes whose command name (comm) is NAME, now and when they exec.
    #[arg(long, value_name = "NAME", conflicts_with = "all")]
    pub comm: Option<String>,

    /// Trace every process on the system except the tracer itself.
    #[arg(short, long)]
    pub all: bool,

    /// With --pid or --comm: also trace children forked after the start.
    #[arg(short, long)]
    pub follow: bool,

    /// Syscalls to trace: names, numbers and classes (%file, %process, %network,
    /// %memory, %signal, %ipc, %desc, ...), comma-separated; a leading `!` negates.
    #[arg(short = 'e', long, value_name = "SET", default_value = "all")]
    pub syscalls: String,

    /// Write events to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,

    /// Bytes of read/write/send/recv data shown per buffer, like strace's -s
    /// (paths are always shown whole).
    #[arg(short = 's', long, value_name = "N", default_value_t = 32,
          value_parser = clap::value_parser!(u32).range(0..=4096))]
    pub string_limit: u32,

    /// Print only a summary at the end (time, calls and errors per syscall), like strace -c.
    #[arg(short = 'c', long)]
    pub summary_only: bool,

    /// Print the events and the summary at the end, like strace -C.
    #[arg(short = 'C', long, conflicts_with = "summary_only")]
    pub summary: bool,

    /// Show what file descriptors refer to, like strace -y (`read(3</etc/passwd>, ...)`;
    /// JSON: `fd_paths`), and relative paths made absolute (JSON: `abs_paths`).
    #[arg(short = 'y', long)]
    pub decode_fds: bool,

    /// Raw arguments only: no user memory is read (paths, buffers, structs).
    #[arg(long)]
    pub raw: bool,

    /// Ring buffer size (bytes; K, M, G suffixes; a power of two of at least one page).
    #[arg(long, value_name = "SIZE", default_value = "16M", value_parser = parse_size)]
    pub buffer_size: u64,

    /// Formatting threads (default: half the CPUs, 1 to 4).
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,

    /// Also write the final statistics as one JSON object to FILE.
    #[arg(long, value_name = "FILE")]
    pub stats_file: Option<PathBuf>,

    /// Print libbpf's diagnostics (to stderr).
    #[arg(short, long)]
    pub verbose: bool,

    /// Use the fallbacks for kernels before 5.11 (entry state in a hash by thread id,
    /// no task storage, no bpf_loop), to test them on newer kernels.
    #[arg(long, hide = true)]
    pub no_task_storage: bool,

    /// Command to launch and trace with all its descendants.
    #[arg(trailing_var_arg = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct DaemonArgs {
    /// Monitor these running processes (comma-separated pids) and their children.
    #[arg(short, long, value_delimiter = ',', conflicts_with = "comm")]
    pub pid: Vec<u32>,

    /// Monitor processes whose command name (comm) is NAME, and their children.
    #[arg(long, value_name = "NAME")]
    pub comm: Option<String>,

    /// Where profiles are kept.
    #[arg(long, value_name = "DIR", default_value = "/var/lib/ai-forensics")]
    pub state_dir: PathBuf,

    /// How often profiles are saved (and at shutdown).
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    pub save_interval: std::time::Duration,

    #[command(flatten)]
    pub settings: PhSettingsArgs,

    /// Most profiles kept in the kernel.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_profiles: u32,

    /// Most profile rows (1 KiB each, one per syscall seen per profile) in the kernel.
    #[arg(long, value_name = "N", default_value_t = 65536)]
    pub max_rows: u32,

    /// Write events to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Control socket (default: STATE_DIR/control.sock).
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// Print libbpf's diagnostics (to stderr).
    #[arg(short, long)]
    pub verbose: bool,

    /// Command to launch and monitor with all its descendants.
    #[arg(trailing_var_arg = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// pH settings given on the command line; the others keep their stored or default values.
#[derive(Debug, Clone, Args)]
pub struct PhSettingsArgs {
    /// Frozen time before a profile becomes normal (daemon: a week, as in pH;
    /// replay: never, in the traces' clock); `0s` for tests and demos.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub normal_wait: Option<std::time::Duration>,

    /// Freeze when more than 1 - 32/FACTOR of the training calls added nothing.
    #[arg(long, value_name = "FACTOR")]
    pub normal_factor: Option<u64>,

    /// Anomalies after which a normal profile goes back to training.
    #[arg(long, value_name = "N")]
    pub anomaly_limit: Option<u64>,

    /// LFC above which a task's profile forgets its training data.
    #[arg(long, value_name = "N")]
    pub tolerize_limit: Option<u64>,
}

/// How a pH command reaches the daemon, or its state when none runs.
#[derive(Debug, Clone, Args)]
pub struct PhQuery {
    /// The daemon's state directory (used directly when no daemon runs).
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = "/var/lib/ai-forensics"
    )]
    pub state_dir: PathBuf,

    /// The daemon's control socket (default: STATE_DIR/control.sock).
    #[arg(long, global = true, value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// One JSON document instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

/// A profile named by executable path or key, or the profile of a process.
#[derive(Debug, Clone, Args)]
pub struct PhTarget {
    #[command(flatten)]
    pub query: PhQuery,

    /// The profile of this process.
    #[arg(long, conflicts_with = "profile")]
    pub pid: Option<u32>,

    /// Executable path or profile key (DEV:INO).
    #[arg(required_unless_present = "pid")]
    pub profile: Option<String>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ProfilesAction {
    /// Every profile (the default).
    List,
    /// One profile: counts and its most frequent pairs.
    Show {
        /// Executable path or profile key (DEV:INO).
        profile: String,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum SettingsAction {
    /// Print the settings.
    Get,
    /// Change one setting: normal_wait (a duration), normal_factor, anomaly_limit, tolerize_limit.
    Set { name: String, value: String },
}

#[derive(Debug, Subcommand)]
pub enum PhAction {
    /// Train on recorded traces, then test others: anomalies, LFC, detection and false alarms.
    Eval(PhEvalArgs),
    /// Run recorded traces through the engine in order, from empty profiles,
    /// writing every event (anomalies, transitions) as JSON lines.
    Replay(PhReplayArgs),
}

#[derive(Debug, Args)]
pub struct PhReplayArgs {
    /// Trace files or directories (file-name order).
    #[arg(required = true)]
    pub traces: Vec<PathBuf>,

    /// Trace format.
    #[arg(long, value_enum, default_value_t = TraceFormat::Jsonl)]
    pub format: TraceFormat,

    #[command(flatten)]
    pub settings: PhSettingsArgs,

    /// Write events to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PhEvalArgs {
    /// Traces to train on (a directory, read in file-name order, or one file).
    #[arg(long, value_name = "DIR")]
    pub train: PathBuf,

    /// Traces to test (a directory or one file); repeat for several sets.
    #[arg(long, value_name = "DIR", required = true)]
    pub test: Vec<PathBuf>,

    /// Trace format.
    #[arg(long, value_enum, default_value_t = TraceFormat::Unm)]
    pub format: TraceFormat,

    /// Train on only the first N traces of --train (file-name order).
    #[arg(long, value_name = "N")]
    pub train_count: Option<usize>,

    /// In a --test set that is the --train directory, skip its first N traces
    /// (the ones trained on); other sets are tested whole.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub test_skip: usize,

    /// Anomalies after which a normal profile goes back to training.
    #[arg(long, value_name = "N")]
    pub anomaly_limit: Option<u64>,

    /// LFC above which the training data are reset.
    #[arg(long, value_name = "N")]
    pub tolerize_limit: Option<u64>,

    /// Write every engine event (anomaly, transitions) as JSON lines to FILE.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,

    /// One JSON document instead of tables.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// UNM `PID SYSCALL` lines, one trace per file.
    Unm,
    /// `ai-forensics trace` JSON lines.
    Jsonl,
}

/// Parses `0s`, `500ms`, `15m`, `7d`, `1week` (humantime).
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("invalid duration {s:?}: {e}"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per line.
    Json,
    /// One strace-style line per event.
    Text,
}

/// Parses `4096`, `64K`, `64M`, `1G` (binary units).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, shift) = match s.char_indices().last() {
        Some((i, 'k' | 'K')) => (&s[..i], 10),
        Some((i, 'm' | 'M')) => (&s[..i], 20),
        Some((i, 'g' | 'G')) => (&s[..i], 30),
        _ => (s, 0),
    };
    let n: u64 = digits.parse().map_err(|_| {
        format!("invalid size {s:?}: expected a number with an optional K/M/G suffix")
    })?;
    n.checked_shl(shift)
        .filter(|v| v >> shift == n)
        .ok_or_else(|| format!("size {s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("64m"), Ok(64 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("x").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("99999999999999G").is_err());
    }

    #[test]
    fn trace_command_after_dashes() {
        let cli = Cli::try_parse_from(["ai-forensics", "trace", "--", "ls", "-l"]).unwrap();
        let Command::Trace(t) = cli.command else {
            panic!("not trace")
        };
        assert_eq!(t.command, ["ls", "-l"]);
        let cli = Cli::try_parse_from(["ai-forensics", "trace", "ls", "-l"]).unwrap();
        let Command::Trace(t) = cli.command else {
            panic!("not trace")
        };
        assert_eq!(t.command, ["ls", "-l"]);
        // An unknown option is an error, not a command to run.
        assert!(Cli::try_parse_from(["ai-forensics", "trace", "--bogus", "ls"]).is_err());
        assert_eq!(t.format, Format::Json);
    }

    #[test]
    fn pid_list() {
        let cli = Cli::try_parse_from(["ai-forensics", "trace", "--pid", "1,2"]).unwrap();
        let Command::Trace(t) = cli.command else {
            panic!("not trace")
        };
        assert_eq!(t.pid, [1, 2]);
    }
}
