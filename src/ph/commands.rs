//! (in progress)
pub fn run(_cmd: crate::cli::Command) -> anyhow::Result<u8> {
    anyhow::bail!("in progress")
}
