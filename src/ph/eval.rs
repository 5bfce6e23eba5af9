//! (in progress)
pub fn run(_args: &crate::cli::PhEvalArgs) -> anyhow::Result<u8> {
    anyhow::bail!("in progress")
}
pub fn replay(_args: &crate::cli::PhReplayArgs) -> anyhow::Result<u8> {
    anyhow::bail!("in progress")
}
