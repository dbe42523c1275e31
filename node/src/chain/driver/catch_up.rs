//! Catching up: the periodic sync probe (on its own task, so the driver never waits on a peer)
//! and applying the certified blocks a peer returns.

use super::*;

impl ChainDriver {
    /// Sends the sync request this tick calls for, if any, on its own task: the reply comes
    /// back through `sync_replies` while the loop goes on serving peers, timers and the API.
    pub(super) fn sync_tick(&mut self) {
        if self.sync_in_flight {
            return;
        }
        let Some((peer, request)) = self.sync.next_request(self.tip.height) else { return };
        self.sync_in_flight = true;
        let net = self.net.clone();
        let replies = self.sync_replies_tx.clone();
        tokio::spawn(async move {
            let result =
                match tokio::time::timeout(SYNC_REQUEST_TIMEOUT, net.sync(peer, request)).await {
                    Ok(Ok(response)) => Ok(response),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("timed out".to_string()),
                };
            let _ = replies.send(SyncReply { peer, result }).await;
        });
    }

    pub(super) async fn on_sync_reply(&mut self, reply: SyncReply) {
        self.sync_in_flight = false;
        let SyncReply { peer, result } = reply;
        let response = match result {
            Ok(response) => response,
            Err(e) => {
                debug!(%peer, error = %e, "sync request failed");
                return;
            }
        };
        self.sync.peer_tip(peer, response.tip);
        match self.apply_synced(response.blocks).await {
            Ok(0) => {}
            Ok(n) => info!(blocks = n, height = self.tip.height.0, "synced"),
            Err(SyncFailure::Peer(reason)) => {
                warn!(%peer, reason, "bad sync response");
                self.net.penalize(peer, reason).await;
            }
            Err(SyncFailure::Local(e)) => {
                error!(error = %e, "applying synced blocks failed")
            }
        }
    }

    /// Applies consecutive certified blocks from a peer, each checked like a proposal plus its
    /// certificate, then restarts consensus at the new height.
    async fn apply_synced(
        &mut self,
        blocks: Vec<protocol::wire::CertifiedBlock>,
    ) -> Result<usize, SyncFailure> {
        let mut applied = 0;
        for cb in blocks {
            if cb.block.header.height.0 <= self.tip.height.0 {
                continue;
            }
            let hash = cb.block.hash();
            if cb.certificate.block_hash != hash || cb.certificate.height != cb.block.header.height
            {
                return Err(SyncFailure::Peer("certificate does not match its block".into()));
            }
            consensus::bft::verify_certificate(
                &cb.certificate,
                &self.validators,
                &self.chain,
                self.verifier.as_ref(),
            )
            .map_err(|e| SyncFailure::Peer(format!("certificate: {e}")))?;
            self.check_block(&cb.block).map_err(|e| SyncFailure::Peer(format!("block: {e}")))?;
            self.commit(cb.block, cb.certificate).map_err(SyncFailure::Local)?;
            applied += 1;
        }
        if applied > 0 {
            self.start_height().await.map_err(SyncFailure::Local)?;
        }
        Ok(applied)
    }
}

pub(super) enum SyncFailure {
    Peer(String),
    Local(ChainError),
}
