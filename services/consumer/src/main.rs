use anyhow::Context;
use forgectl_consumer::ConsumerOptions;
use forgectl_service_common::{env::ProcessEnv, shutdown, telemetry};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init_tracing();
    let opts = ConsumerOptions::from_env(&ProcessEnv).context("invalid configuration")?;
    let cancel = CancellationToken::new();
    shutdown::cancel_on_signal(cancel.clone());
    forgectl_consumer::run(opts, cancel).await.context("running the consumer")?;
    Ok(())
}
