use tokio_util::sync::CancellationToken;

/// Cancels `token` on SIGTERM (what orchestrators send) or Ctrl-C.
pub fn cancel_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = term.recv() => tracing::info!("SIGTERM received, shutting down"),
                        _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received, shutting down"),
                        _ = token.cancelled() => return,
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the service");
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {},
                        _ = token.cancelled() => return,
                    }
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        token.cancel();
    });
}
