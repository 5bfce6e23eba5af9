//! (in progress)
pub fn run(_args: crate::cli::DaemonArgs) -> anyhow::Result<u8> {
    anyhow::bail!("daemon: in progress")
}
