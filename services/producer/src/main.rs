use anyhow::Context;
use forgectl_producer::{ProducerConfig, Server};
use forgectl_service_common::{env::ProcessEnv, shutdown, telemetry};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init_tracing();
    let config = ProducerConfig::from_env(&ProcessEnv).context("invalid configuration")?;
    let cancel = CancellationToken::new();
    shutdown::cancel_on_signal(cancel.clone());
    let server = Server::bind(config).await.context("starting the producer API")?;
    server.run(cancel).await.context("running the producer API")?;
    Ok(())
}
